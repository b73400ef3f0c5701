"""The container tooling without an engine: the loopback wheel index, recipe hashes, and one clear line
when Docker is missing."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from sentiment.containers import wheel_index
from sentiment.containers.base_images import recipe_hash, runtime_sdk_pins
from sentiment.core.config import PROJECT_ROOT


def test_the_index_serves_local_wheels_and_sends_the_rest_to_pypi(tmp_path: Path) -> None:
    wheel = tmp_path / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
    wheel.write_bytes(b"not really a wheel")
    with wheel_index.serving([tmp_path]) as url:
        page = urllib.request.urlopen(f"{url}/Torch/", timeout=5).read().decode()
        assert f"#sha256={hashlib.sha256(wheel.read_bytes()).hexdigest()}" in page
        link = page.split('href="', 1)[1].split("#", 1)[0]
        assert urllib.request.urlopen(f"{url.rsplit('/', 1)[0]}{link}", timeout=5).read() == wheel.read_bytes()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None

        try:
            urllib.request.build_opener(NoRedirect).open(f"{url}/Jinja2/", timeout=5)
            raise AssertionError("expected a redirect")
        except urllib.error.HTTPError as redirect:
            assert redirect.code == 302 and redirect.headers["Location"] == "https://pypi.org/simple/jinja2/"


def test_a_recipe_hash_follows_every_file(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\n")
    before = recipe_hash(tmp_path)
    (tmp_path / "bootstrap").write_text("#!/bin/sh\n")
    assert recipe_hash(tmp_path) != before
    assert recipe_hash(tmp_path, extra=b"1") != recipe_hash(tmp_path)


def test_the_lambda_stand_in_pins_the_api_groups_sdk() -> None:
    pins = runtime_sdk_pins()
    assert set(pins) == {"BOTO3_VERSION", "BOTOCORE_VERSION"} and all(pins.values())


def test_no_docker_is_one_line_naming_the_step(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # neither docker nor dockerd
    done = subprocess.run(
        [sys.executable, "-m", "sentiment.cli", "images"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "sentiment images: error: Docker: the docker command is not installed (Debian: apt-get install docker.io)"
    )
