"""What goes wrong with containers is said in one line naming the step, and leaves nothing behind."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sentiment.containers import docker
from sentiment.containers.docker import DockerError
from tests.containers import model_container

pytestmark = pytest.mark.slow


def ours() -> list[str]:
    listed = subprocess.run(["docker", "ps", "-a", "--quiet"], capture_output=True, text=True, timeout=30)
    return listed.stdout.split()


def test_a_failing_image_build_names_the_step_and_leaves_no_container(images: str, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nRUN echo 'no such package' && exit 3\n")
    before = ours()
    with pytest.raises(DockerError) as failed:
        docker.build(tmp_path, "sentiment-broken:test", tmp_path / "Dockerfile")
    message = str(failed.value)
    assert message.startswith("build sentiment-broken:test: docker build failed") and "no such package" in message
    assert "\n" not in message
    assert ours() == before


def test_a_container_that_never_answers_ping_is_reported_and_removed(images: str, tmp_path: Path) -> None:
    empty = tmp_path / "model"
    empty.mkdir()
    before = ours()
    with pytest.raises(AssertionError, match="exited before /ping answered") as failed, model_container(empty):
        pass
    assert "model artifact is missing config.json" in str(failed.value)
    assert ours() == before
