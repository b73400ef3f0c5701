"""Processes that end with the one that started them, on every exit path.

- `die_with_parent`: in a child, ask the kernel to signal it when its parent dies, even by SIGKILL
  (Linux's PR_SET_PDEATHSIG; elsewhere nothing), for the local stack's model server and the
  preprocessing pool's workers;
- `exit_on_sigterm`: in a command, turn SIGTERM into a normal exit, so that its `with` blocks (process
  pools, temporary folders) clean up as they do on Ctrl-C;
- `exit_after`: for a server that has stopped everything it started, leave without the interpreter's
  teardown of all it loaded (most of a second, measured, for a process that stops in milliseconds).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

PR_SET_PDEATHSIG = 1
EXIT_ON_SIGTERM = 128 + signal.SIGTERM


def die_with_parent(parent: int | None = None, sig: int = signal.SIGTERM) -> None:
    """Have `sig` sent to this process when its parent (pid `parent`, if known) dies; if it has died
    already, send it now."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if parent is not None and os.getppid() != parent:  # the parent went before we asked
        os.kill(os.getpid(), sig)


def child_of_this_process(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` (or pool initializer) that ties the child to this process."""
    parent = os.getpid()
    return lambda: die_with_parent(parent, sig)


def exit_after(run: Callable[[], int]) -> NoReturn:
    """Run a server to its end (its own SystemExit included: gunicorn's master leaves that way, and a
    worker that cannot start), flush, and exit with its status at once."""
    try:
        code: object = run()
    except SystemExit as stopped:
        code = stopped.code
    status = code if isinstance(code, int) else 0 if code is None else 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def exit_on_sigterm() -> None:
    """SIGTERM raises SystemExit(143) in the main thread, so cleanup runs as on Ctrl-C."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(EXIT_ON_SIGTERM)

    signal.signal(signal.SIGTERM, handler)
