"""The prediction function's cold import as Lambda loads it: `sam build`, then fresh `python -S`
processes with nothing on the path but the function, the layer and the runtime's boto3, and the
variables Lambda sets before the handler loads (the X-Ray SDK behind Tracer reads LAMBDA_TASK_ROOT to
know it runs in Lambda; elsewhere it builds a sampling client at import, which Lambda never pays)."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from sentiment.core.config import PROJECT_ROOT
from sentiment.core.errors import ConfigError

RUNTIME_PACKAGES = ("boto3", "botocore", "jmespath", "dateutil", "urllib3", "s3transfer", "six.py")
SAM = PROJECT_ROOT / ".tools" / "sam" / "bin" / "sam"
PROBE = Path(__file__).with_name("lambda_import.py")


def _size_mb(folder: Path) -> float:
    return round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6, 1)


def lambda_cold_import(runs: int = 5) -> dict[str, float]:
    """Sizes of the built function and layer, and the median seconds of the runtime's boto3 import and of
    everything after it (the handler's own cold import)."""
    sam = str(SAM) if SAM.is_file() else shutil.which("sam")
    if sam is None:
        raise ConfigError("the SAM CLI is not installed: run `make sam`")
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "build"
        done = subprocess.run(
            [sam, "build", "--build-dir", str(build), "--template", "template.yaml"],
            cwd=PROJECT_ROOT, env={**os.environ, "SAM_CLI_TELEMETRY": "0"}, capture_output=True, text=True,
            timeout=900,
        )  # fmt: skip
        if done.returncode != 0:
            raise ConfigError(f"sam build failed: {done.stderr.strip().splitlines()[-1:]}")
        runtime = Path(tmp) / "runtime"
        runtime.mkdir()
        site = Path(str(__import__("boto3").__file__)).parent.parent
        for name in RUNTIME_PACKAGES:
            (runtime / name).symlink_to(site / name)
        function, layer = build / "PredictFunction", build / "PreprocessLayer" / "python"
        timings = []
        for _ in range(runs):
            probe = subprocess.run(
                [sys.executable, "-S", str(PROBE), str(function), str(layer), str(runtime)],
                capture_output=True, text=True, timeout=120, cwd=build,
            )  # fmt: skip
            if probe.returncode != 0:
                raise ConfigError(f"the cold import failed: {probe.stderr.strip()[-500:]}")
            timings.append(json.loads(probe.stdout))
        return {
            "function_mb": _size_mb(function),
            "layer_mb": _size_mb(layer),
            "boto3_s": round(statistics.median(t["boto3_s"] for t in timings), 3),
            "init_s": round(statistics.median(t["init_s"] for t in timings), 3),
        }
