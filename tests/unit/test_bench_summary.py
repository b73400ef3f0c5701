"""`make bench`'s summary table is built from the records the benchmarks write."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sentiment.bench.summary import write_summary
from sentiment.core.config import PROJECT_ROOT
from sentiment.core.errors import ConfigError

RECORDS = ("preprocess", "model", "serving", "stack", "containers")


def test_summary_from_the_committed_records(tmp_path: Path) -> None:
    for name in RECORDS:
        shutil.copy(PROJECT_ROOT / "benchmarks" / f"{name}.json", tmp_path)
    table = write_summary(tmp_path)
    assert "end to end" in table and "x throughput" in table
    record = json.loads((tmp_path / "summary.json").read_text())
    assert len(record["rows"]) == 10 and record["machine"]
    assert "[stack](stack.md)" in (tmp_path / "summary.md").read_text()


def test_a_missing_record_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="make bench-preprocess"):
        write_summary(tmp_path)
