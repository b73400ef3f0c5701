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
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from sentiment.aws.artifacts import model_tarball
from sentiment.containers import docker
from sentiment.containers.docker import CONTAINER_LABEL, DockerError
from sentiment.containers.images import MODEL_IMAGE
from sentiment.core.config import PROJECT_ROOT, cache_dir
from tests.processes import free_port

SAGEMAKER_LIMITS = ("--memory", "2g", "--cpus", "1")  # the smallest serverless endpoint: 2 GB, one core
PING_TIMEOUT_S = 60.0


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


@dataclass
class ModelContainer:
    name: str
    url: str  # from this machine
    started_s: float  # docker run -> first /ping 200

    def client(self, read_timeout: float = 60) -> Any:
        """boto3's sagemaker-runtime client pointed at the container."""
        return boto3.client(
            "sagemaker-runtime",
            region_name="us-east-1",
            endpoint_url=self.url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}, read_timeout=read_timeout, connect_timeout=5),
        )

    def logs(self) -> str:
        done = subprocess.run(["docker", "logs", self.name], capture_output=True, text=True, timeout=30)
        return done.stdout + done.stderr

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each process in the container but the first (the gunicorn master)."""
        script = (
            "import os,re\n"
            "for p in sorted(int(d) for d in os.listdir('/proc') if d.isdigit() and int(d) != os.getpid()):\n"
            "    s=open(f'/proc/{p}/status').read(); m=re.search(r'VmRSS:\\s+(\\d+)', s)\n"
            "    print(p, m.group(1) if m else 0)\n"
        )
        out = docker.docker("exec", self.name, "python3", "-c", script, step="read worker memory")
        rows = [line.split() for line in out.splitlines()]
        return [int(kb) / 1024 for pid, kb in rows[1:] if int(kb)]


def wait_for_ping(url: str, name: str, timeout: float = PING_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = docker.docker("inspect", "--format", "{{.State.Status}}", name, step=f"inspect {name}")
        if state in ("exited", "dead"):
            raise AssertionError(f"container {name} exited before /ping answered: {_logs(name)[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"container {name} did not answer /ping within {timeout:.0f} s: {_logs(name)[-2000:]}")


def _logs(name: str) -> str:
    done = subprocess.run(["docker", "logs", name], capture_output=True, text=True, timeout=30)
    return done.stdout + done.stderr


@contextmanager
def model_container(
    model_dir: Path, image: str = MODEL_IMAGE, network_name: str | None = None, env: dict[str, str] | None = None
) -> Iterator[ModelContainer]:
    """`docker run IMAGE serve` as SageMaker runs it: the artifact read-only at /opt/ml/model, port 8080
    (published on loopback), 2 GB and one CPU; removed when the block ends."""
    name = f"sentiment-model-{uuid.uuid4().hex[:8]}"  # also its host name on `network_name`
    port = free_port()
    options = ["--detach", "--name", name, *SAGEMAKER_LIMITS, "--volume", f"{model_dir}:/opt/ml/model:ro"]
    options += ["--publish", f"127.0.0.1:{port}:8080"]
    if network_name:
        options += ["--network", network_name]
    for key, value in (env or {}).items():
        options += ["--env", f"{key}={value}"]
    started = time.monotonic()
    argv = docker.run_command(image, *options)
    subprocess.run([*argv, "serve"], check=True, capture_output=True, timeout=120)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_ping(url, name)
        yield ModelContainer(name, url, time.monotonic() - started)
    finally:
        subprocess.run(["docker", "rm", "--force", name], capture_output=True, timeout=120)


def image_size_line(output: str) -> str:
    return " ".join(line for line in output.splitlines() if re.match(r"(base|model|training) image", line))


def json_body(answer: dict[str, Any]) -> Any:
    return json.loads(answer["Body"].read())
