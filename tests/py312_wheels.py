"""Does every pin of the training job's requirements have a wheel for the AWS PyTorch training image
(CPython 3.12, manylinux x86_64)? The stand-in image runs Python 3.11 (our pinned torch wheel's), so this
check, from pip's resolver in report mode (metadata only, cached per requirements file), covers the rest."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from sentiment.core.config import PROJECT_ROOT

CACHE = PROJECT_ROOT / ".cache" / "py312-wheels"


def py312_wheels_missing(requirements: Path) -> list[str]:
    """Pins of `requirements` with no wheel for CPython 3.12 on manylinux x86_64."""
    cache = CACHE / f"{hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]}.json"
    if not cache.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        report = CACHE / "report.json"
        done = subprocess.run(
            [
                sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                "--only-binary=:all:", "--python-version", "3.12", "--implementation", "cp",
                "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64",
                "--target", str(CACHE / "target"), "--report", str(report), "--requirement", str(requirements),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
        missing = [] if done.returncode == 0 else [done.stderr.strip().splitlines()[-1]]
        if not missing:
            installed = {i["metadata"]["name"].lower() for i in json.loads(report.read_text())["install"]}
            wanted = [line.split("==")[0].lower() for line in requirements.read_text().split() if line]
            missing = [name for name in wanted if name not in installed]
        cache.write_text(json.dumps(missing))
    return json.loads(cache.read_text())  # type: ignore[no-any-return]
