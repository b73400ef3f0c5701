"""A model image run as SageMaker runs it: `docker run IMAGE serve` with the artifact read-only at
/opt/ml/model, port 8080 (published on loopback here), the memory and CPU of the smallest serverless
endpoint (2 GB, one CPU); ready once `/ping` answers 200. Used by the tests and `make bench-containers`."""

from __future__ import annotations

import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sentiment.containers import docker
from sentiment.containers.docker import DockerError
from sentiment.web.ports import free_port

SERVERLESS_MIN = ("--memory", "2g", "--cpus", "1")
PING_TIMEOUT_S = 60.0
_RSS_SCRIPT = (
    "import os,re\n"
    "for p in sorted(int(d) for d in os.listdir('/proc') if d.isdigit() and int(d) not in (1, os.getpid())):\n"
    "    m = re.search(r'VmRSS:\\s+(\\d+)', open(f'/proc/{p}/status').read())\n"
    "    print(m.group(1) if m else 0)\n"
)


@dataclass(frozen=True)
class RunningContainer:
    name: str  # also its host name on its Docker network
    url: str  # from this machine
    started_s: float  # docker run -> first /ping 200

    def logs(self) -> str:
        done = subprocess.run(["docker", "logs", self.name], capture_output=True, text=True, timeout=30)
        return done.stdout + done.stderr

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each process but the first (the server's master) and this probe."""
        out = docker.docker("exec", self.name, "python3", "-c", _RSS_SCRIPT, step="read worker memory")
        return [int(kb) / 1024 for kb in out.split() if int(kb)]


def _wait_for_ping(container: RunningContainer, timeout: float) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        state = docker.docker("inspect", "--format", "{{.State.Status}}", container.name, step="inspect")
        if state in ("exited", "dead"):
            raise DockerError(f"container {container.name} exited before /ping answered: {container.logs()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{container.url}/ping", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise DockerError(
        f"container {container.name} did not answer /ping within {timeout:.0f} s: {container.logs()[-2000:]}"
    )


@contextmanager
def sagemaker_container(
    image: str,
    model_dir: Path,
    command: Sequence[str] = ("serve",),
    network: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = PING_TIMEOUT_S,
) -> Iterator[RunningContainer]:
    """The container until the block ends (then removed, whatever happened)."""
    name, port = f"sentiment-model-{uuid.uuid4().hex[:8]}", free_port()
    options = ["--detach", "--name", name, *SERVERLESS_MIN, "--volume", f"{model_dir}:/opt/ml/model:ro"]
    options += ["--publish", f"127.0.0.1:{port}:8080"]
    if network:
        options += ["--network", network]
    for key, value in (env or {}).items():
        options += ["--env", f"{key}={value}"]
    started = time.monotonic()
    try:
        docker.docker(*docker.run_command(image, *options)[1:], *command, step=f"docker run {image}", timeout=120)
        container = RunningContainer(name, f"http://127.0.0.1:{port}", 0.0)
        _wait_for_ping(container, timeout)
        yield RunningContainer(name, container.url, time.monotonic() - started)
    finally:
        subprocess.run(["docker", "rm", "--force", name], capture_output=True, timeout=120)
