"""Start project commands as real processes on loopback and wait until they answer."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sentiment.core.config import PROJECT_ROOT
from sentiment.local import processes
from sentiment.local.processes import free_port, wait_until_up

__all__ = ["free_port", "running", "script", "sentiment_command", "up_command", "wait_until_up"]


@contextmanager
def running(
    command: Sequence[str], ready_url: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` from the project root until the block ends (its errors reported if it fails to start)."""
    with processes.running(command, ready_url, env, cwd=PROJECT_ROOT, stderr=subprocess.PIPE, timeout=60) as process:
        yield process


def sentiment_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sentiment.cli", *args]


def up_command(port: int, model_port: int) -> list[str]:
    """`sentiment up` on these ports, with one model-server worker."""
    return sentiment_command("up", "--port", str(port), "--model-port", str(model_port), "--model-workers", "1")


def script(path: str | Path) -> list[str]:
    return [sys.executable, str(PROJECT_ROOT / path)]
