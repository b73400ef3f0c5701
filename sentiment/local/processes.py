"""Child processes on loopback: a free port, start and wait until a URL answers, stop cleanly.

Used by the local stack, the benchmarks and the tests alike.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sentiment.core.errors import ConfigError
from sentiment.core.lifetime import child_of_this_process
from sentiment.web.ports import free_port, port_is_free

__all__ = ["free_port", "port_is_free", "running", "stop", "wait_until_up"]


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0, what: str = "") -> None:
    """Return once `url` answers; ConfigError if the process exits first or time runs out."""
    what = what or url
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = process.stderr.read().decode(errors="replace").strip() if process.stderr else ""
            raise ConfigError(
                f"{what} exited with status {process.returncode} before answering"
                + (f": {said}" if said else "; see its message above")
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise ConfigError(f"{what} did not answer {url} within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `timeout`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running(
    command: Sequence[str],
    ready_url: str,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    stderr: int | IO[bytes] | None = subprocess.DEVNULL,
    timeout: float = 120.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` until the block ends; it is up once `ready_url` answers."""
    process = subprocess.Popen(
        list(command),
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,
        preexec_fn=child_of_this_process(),  # dies with us, however we end
    )
    try:
        wait_until_up(ready_url, process, timeout)
        yield process
    finally:
        stop(process)
