"""The pinned SAM CLI (installed by `make sam`, outside the project's own environment): `sam build` once
per session, `sam local invoke` and `sam local start-api` against the model image on a test network."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentiment.core.config import PROJECT_ROOT
from sentiment.local.processes import stop, wait_until_up
from tests.processes import free_port

ORIGIN = "https://d111111abcdef8.cloudfront.net"  # the Origin header of events/
# When SAM removes the container after the invocation has ended (after its REPORT line), the runtime
# interface client, waiting for the next event, may log that it lost the emulator, with a traceback SAM
# cuts short: the emulator's teardown, not the function's doing.
_EMULATOR_TEARDOWN = re.compile(
    r"(REPORT RequestId:[^\n]*\n)(?:.*\n)*?.*LAMBDA_RUNTIME Failed to get next invocation(?:.|\n)*\Z"
)


def sam_executable() -> str:
    """The SAM CLI: $SAM_CLI, else the project's pinned install, else one on the PATH."""
    candidates = [os.environ.get("SAM_CLI"), str(PROJECT_ROOT / ".tools" / "sam" / "bin" / "sam"), shutil.which("sam")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise FileNotFoundError("SAM CLI not found: run `make sam` (the tests need the pinned aws-sam-cli)")


def sam_environment() -> dict[str, str]:
    return {**os.environ, "SAM_CLI_TELEMETRY": "0"}


def sam_build(out: Path) -> Path:
    """`sam build` of template.yaml into `out`; the built template."""
    subprocess.run(
        [sam_executable(), "build", "--build-dir", str(out), "--template", "template.yaml"],
        cwd=PROJECT_ROOT,
        env=sam_environment(),
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out / "template.yaml"


@dataclass(frozen=True)
class Api:
    """An HTTP front of the prediction API and the browser origin it allows."""

    url: str
    origin: str
    emulator: str  # "stand-in" (our local stack) or "sam" (sam local start-api)


@dataclass(frozen=True)
class SamLocal:
    """What `sam local` needs here: the built template, the Docker network the model container is on,
    and an --env-vars file pointing the function at it."""

    template: Path
    network: str
    env_vars: Path

    def options(self) -> list[str]:
        # --skip-pull-image: the base image may be a local stand-in; --docker-network: SAM 1.170 ignores
        # `host`, so the function reaches the model container by name on a network of its own.
        return [
            "--template", str(self.template), "--env-vars", str(self.env_vars),
            "--docker-network", self.network, "--skip-pull-image",
        ]  # fmt: skip

    def invoke(self, function: str, event: Path) -> dict[str, Any]:
        """`sam local invoke FUNCTION -e EVENT ...`: the function's result, and SAM's log lines."""
        done = subprocess.run(
            [sam_executable(), "local", "invoke", function, "--event", str(event), *self.options()],
            cwd=PROJECT_ROOT,
            env=sam_environment(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0 or not done.stdout.strip():
            raise AssertionError(f"sam local invoke {function} -e {event.name} failed: {done.stderr[-3000:]}")
        logs = _EMULATOR_TEARDOWN.sub(r"\1", done.stderr)
        return {"result": json.loads(done.stdout.strip().splitlines()[-1]), "logs": logs}

    @contextmanager
    def start_api(self) -> Iterator[str]:
        """`sam local start-api` (warm containers) until the block ends; its URL."""
        port = free_port()
        command = [sam_executable(), "local", "start-api", "--port", str(port), "--warm-containers", "EAGER"]
        process = subprocess.Popen(
            [*command, *self.options()],
            cwd=PROJECT_ROOT,
            env=sam_environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/health", process, 180, what="sam local start-api")
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process, timeout=30)


def write_env_vars(path: Path, functions: dict[str, dict[str, str]]) -> Path:
    path.write_text(json.dumps(functions, indent=2))
    return path
