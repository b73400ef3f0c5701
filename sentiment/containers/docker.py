"""The Docker engine from Python: one command at a time, bounded in time, one clear line when it fails.

`daemon()` makes sure an engine answers: it uses a running one, or starts `dockerd` itself when it
may (root, the binary installed) and stops it again when the block ends, so nothing it started
outlives it. Every container this package runs carries the label `CONTAINER_LABEL`, so whatever a
run leaves behind (a test killed half-way) is found and removed by `remove_leftovers()`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sentiment.core.errors import SentimentError

CONTAINER_LABEL = "org.sentiment.run"  # on every container we start: found and removed by remove_leftovers()
RECIPE_LABEL = "org.sentiment.recipe"  # on images we build: the hash of the recipe they were built from
DAEMON_START_S = 60.0
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class DockerError(SentimentError):
    """A Docker step failed: the message names the step and what Docker said."""


def docker(*args: str, step: str, timeout: float = 600.0, input_pipe: IO[bytes] | None = None) -> str:
    """`docker ARGS`'s standard output; DockerError naming `step` if it fails or runs past `timeout`."""
    command = ["docker", *args]
    try:
        done = subprocess.run(
            command,
            stdin=input_pipe,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise DockerError(f"{step}: the docker command is not installed") from None
    except subprocess.TimeoutExpired:
        raise DockerError(f"{step}: `{shlex.join(command[:4])} ...` did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        said = (done.stderr or b"").decode(errors="replace").strip().splitlines()
        raise DockerError(f"{step}: docker {args[0]} failed ({done.returncode}): {said[-1] if said else 'no message'}")
    return done.stdout.decode(errors="replace").strip()


def answers() -> bool:
    """Does a Docker engine answer on this machine?"""
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def why_unavailable() -> str | None:
    """None when an engine answers or this process could start one; else one line saying why not."""
    if answers():
        return None
    if shutil.which("docker") is None:
        return "the docker command is not installed (Debian: apt-get install docker.io)"
    if shutil.which("dockerd") is None:
        return "no Docker engine answers and dockerd is not installed (Debian: apt-get install docker.io)"
    if os.geteuid() != 0:
        return "no Docker engine answers, and only root may start dockerd here"
    return None


@dataclass
class Daemon:
    """The engine in use; `started` when this process started it (and so stops it)."""

    started: bool
    log: Path | None = None


@contextmanager
def daemon(log_dir: Path) -> Iterator[Daemon]:
    """An answering Docker engine for the block: the running one, else a `dockerd` started here (root
    only) and stopped when the block ends. DockerError when there is neither."""
    if answers():
        yield Daemon(started=False)
        return
    reason = why_unavailable()
    if reason:
        raise DockerError(f"Docker: {reason}")
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / "dockerd.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(["dockerd"], stdout=sink, stderr=sink, start_new_session=True)
    try:
        deadline = time.monotonic() + DAEMON_START_S
        while not answers():
            if process.poll() is not None:
                raise DockerError(f"Docker: dockerd exited with status {process.returncode} (see {log})")
            if time.monotonic() > deadline:
                raise DockerError(f"Docker: dockerd did not answer within {DAEMON_START_S:.0f} s (see {log})")
            time.sleep(0.5)
        yield Daemon(started=True, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def image_exists(name: str) -> bool:
    try:
        docker("image", "inspect", name, step=f"inspect {name}", timeout=30)
    except DockerError:
        return False
    return True


def image_label(name: str, label: str) -> str | None:
    """The value of `label` on image `name`, None without the image or the label."""
    if not image_exists(name):
        return None
    value = docker("image", "inspect", "--format", f'{{{{index .Config.Labels "{label}"}}}}', name, step="inspect")
    return value if value and value != "<no value>" else None


def image_size_mb(name: str) -> float:
    return int(docker("image", "inspect", "--format", "{{.Size}}", name, step=f"size of {name}")) / 1e6


def pull(name: str, timeout: float = 600.0) -> bool:
    """Pull `name` from its registry; False when the registry cannot be reached (no error)."""
    try:
        docker("pull", "--quiet", name, step=f"pull {name}", timeout=timeout)
    except DockerError:
        return False
    return True


def build(
    context: Path,
    tag: str,
    dockerfile: Path,
    build_args: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    host_network: bool = False,
    timeout: float = 1800.0,
) -> None:
    """`docker build`; the last lines of its output in the error when it fails."""
    args = ["build", "--force-rm", "--file", str(dockerfile), "--tag", tag]
    for name, value in (build_args or {}).items():
        args += ["--build-arg", f"{name}={value}"]
    for name, value in (labels or {}).items():
        args += ["--label", f"{name}={value}"]
    if host_network:  # the build reaches services on this machine's loopback (a local package index)
        args += ["--network", "host"]
    command = ["docker", *args, str(context)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise DockerError(f"build {tag}: docker build did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        output = _ANSI.sub("", (done.stdout + done.stderr).decode(errors="replace")).strip().splitlines()
        tail = " | ".join(line.strip() for line in output if line.strip() and "legacy builder" not in line)[-800:]
        raise DockerError(f"build {tag}: docker build failed ({done.returncode}): {tail}")


def run_command(image: str, *options: str) -> list[str]:
    """The argv of `docker run` for a container of ours (labelled, so remove_leftovers() finds it)."""
    return ["docker", "run", "--label", f"{CONTAINER_LABEL}=1", *options, image]


def remove_leftovers() -> list[str]:
    """Remove every container of ours still there (running or not); their ids."""
    ids = docker("ps", "--all", "--quiet", "--filter", f"label={CONTAINER_LABEL}", step="list containers").split()
    if ids:
        docker("rm", "--force", *ids, step="remove containers", timeout=120)
    return ids


def stop_container(name: str, timeout_s: int = 10) -> None:
    docker("stop", "--time", str(timeout_s), name, step=f"stop {name}", timeout=timeout_s + 60)


def argv_text(argv: Sequence[str]) -> str:
    return shlex.join(argv)
