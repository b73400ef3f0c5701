"""Containers for the tests: the Docker engine (started when it may be, stopped after), the images built
by `make images`, and model containers run as SageMaker runs them.

Without Docker and no way to start it, the container tests skip with one line saying why; under
CI=true that is a failure. Every container and network the tests create carries the label
`CONTAINER_LABEL` and is removed when the test is done (and, should a run have been killed, at the
next run's start).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from sentiment.aws.artifacts import model_tarball
from sentiment.containers import docker
from sentiment.containers.docker import CONTAINER_LABEL, DockerError
from sentiment.containers.images import MODEL_IMAGE
from sentiment.containers.sagemaker_run import RunningContainer, sagemaker_container
from sentiment.core.config import PROJECT_ROOT, cache_dir


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI=true (where a missing engine is a broken machine, not a choice)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Docker is required under CI=true: {reason}")
    pytest.skip(f"no Docker: {reason}")


@contextmanager
def engine() -> Iterator[docker.Daemon]:
    reason = docker.why_unavailable()
    if reason:
        unavailable(reason)
    try:
        with docker.daemon(cache_dir() / "docker") as running:
            docker.remove_leftovers()
            remove_networks()
            yield running
            docker.remove_leftovers()
            remove_networks()
    except DockerError as exc:
        unavailable(str(exc))


def build_images() -> str:
    """`make images` (the same target a user runs); its output, which names the bases and sizes."""
    done = subprocess.run(["make", "--no-print-directory", "images"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"make images failed: {(done.stderr or done.stdout).strip().splitlines()[-3:]}")
    return done.stdout


def remove_networks() -> None:
    """Our networks, with whatever is still attached to them (e.g. `sam local`'s containers)."""
    ids = docker.docker(
        "network", "ls", "--quiet", "--filter", f"label={CONTAINER_LABEL}", step="list networks"
    ).split()
    for network in ids:
        remove_network(network)


def remove_network(network: str) -> None:
    attached = docker.docker(
        "network", "inspect", "--format", "{{range $id, $_ := .Containers}}{{$id}} {{end}}", network, step="inspect"
    ).split()
    if attached:
        docker.docker("rm", "--force", *attached, step="remove attached containers", timeout=120)
    docker.docker("network", "rm", network, step="remove network")


def gateway(network_name: str) -> str:
    """The address at which containers on `network_name` reach this machine."""
    return docker.docker(
        "network", "inspect", "--format", "{{(index .IPAM.Config 0).Gateway}}", network_name, step="inspect network"
    )


@contextmanager
def network() -> Iterator[str]:
    """A user-defined bridge network for the block (containers reach each other by name on it)."""
    name = f"sentiment-test-{uuid.uuid4().hex[:8]}"
    docker.docker("network", "create", "--label", f"{CONTAINER_LABEL}=1", name, step="create network")
    try:
        yield name
    finally:
        remove_network(name)


def sagemaker_model_dir(tmp: Path, artifact: Path) -> Path:
    """model.tar.gz as `make upload-model` packs it, extracted as SageMaker does for /opt/ml/model."""
    archive = tmp / "model.tar.gz"
    archive.write_bytes(model_tarball(artifact))
    return extract_model(archive, tmp / "opt" / "ml" / "model")


def extract_model(archive: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target


@contextmanager
def model_container(
    model_dir: Path, image: str = MODEL_IMAGE, network_name: str | None = None, env: dict[str, str] | None = None
) -> Iterator[RunningContainer]:
    """The model image as SageMaker runs it (sentiment.containers.sagemaker_run); a failure to answer /ping
    fails the test with the container's own words."""
    try:
        with sagemaker_container(image, model_dir, network=network_name, env=env) as container:
            yield container
    except DockerError as exc:
        raise AssertionError(str(exc)) from None


def runtime_client(container: RunningContainer, read_timeout: float = 60) -> Any:
    """boto3's sagemaker-runtime client pointed at the container."""
    return boto3.client(
        "sagemaker-runtime",
        region_name="us-east-1",
        endpoint_url=container.url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=read_timeout, connect_timeout=5),
    )


def image_size_line(output: str) -> str:
    return " ".join(line for line in output.splitlines() if re.match(r"(base|model|training) image", line))


def json_body(answer: dict[str, Any]) -> Any:
    return json.loads(answer["Body"].read())
