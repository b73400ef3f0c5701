"""Atomic local file writes: a temporary name in the same folder, renamed into place when complete,
so a crash never leaves a half-written file behind (standard library only)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        tmp.chmod(0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual mode
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
