"""Where the pinned SAM CLI lives (installed by `make sam`, outside the project's own environment)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sentiment.core.config import PROJECT_ROOT


def sam_executable() -> str:
    """The SAM CLI: $SAM_CLI, else the project's pinned install, else one on the PATH."""
    candidates = [os.environ.get("SAM_CLI"), str(PROJECT_ROOT / ".tools" / "sam" / "bin" / "sam"), shutil.which("sam")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise FileNotFoundError("SAM CLI not found: run `make sam` (the tests need the pinned aws-sam-cli)")
