"""`make bench`: every benchmark in one run, then one table of our figures beside the baselines'."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sentiment.bench import machine_description
from sentiment.core.errors import ConfigError
from sentiment.core.report import markdown_table
from sentiment.data import storage

HEADERS = ["measure", "ours", "baseline (same run)", "ours vs baseline"]


def _load(folder: Path, name: str) -> dict[str, Any]:
    path = folder / f"{name}.json"
    try:
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    except FileNotFoundError:
        raise ConfigError(f"no benchmark record {path}: run `make bench-{name}` (or `make bench`) first") from None
    except ValueError as exc:
        raise ConfigError(f"{path} is not a benchmark record: {exc}") from None


def summary_rows(folder: Path) -> list[list[str]]:
    """One row per measure, from the JSON records the benchmarks wrote."""
    rows: list[list[str]] = []
    pre = {r["path"]: r for r in _load(folder, "preprocess")["rows"]}
    ours, classic = pre["ours, all cores"], pre["classic, 1 core (sample)"]
    rows.append(
        [
            f"preprocessing ({ours['reviews']:,} reviews)",
            f"{ours['reviews_per_s']:,} reviews/s",
            f"classic {classic['reviews_per_s']:,} reviews/s",
            ours["speedup"],
        ]
    )
    models = {r["model"]: r for r in _load(folder, "model")["rows"]}
    default, old = models["default"], models["classic"]
    linear = models["baseline: NBSVM 1-3-grams (default words)"]
    rows.append(
        [
            "test accuracy (25,000 reviews)",
            f"{default['accuracy']:.2%}",
            f"classic {old['accuracy']:.2%}; NBSVM {linear['accuracy']:.2%}",
            f"+{(default['accuracy'] - old['accuracy']) * 100:.1f} points",
        ]
    )
    rows.append(
        [
            "calibration (ECE)",
            f"{default['ece']:.4f}",
            f"classic {old['ece']:.4f}; NBSVM {linear['ece']:.4f}",
            f"{old['ece'] / default['ece']:.1f}x lower",
        ]
    )
    rows.append(
        [
            "behavioural suite (CheckList-style)",
            f"{default['behaviour_pass_rate']:.1%}",
            f"classic {old['behaviour_pass_rate']:.1%}; NBSVM {linear['behaviour_pass_rate']:.1%}",
            f"+{(default['behaviour_pass_rate'] - old['behaviour_pass_rate']) * 100:.0f} points",
        ]
    )
    serving = _load(folder, "serving")
    latency = {r[0]: r for r in serving["latency"]}
    plain, text = latency["ours: ids over HTTP"], latency["classic: text, preprocessing in predict_fn"]
    rows.append(
        [
            "endpoint latency p50 / p99",
            f"{plain[2]} / {plain[3]} ms",
            f"classic {text[2]} / {text[3]} ms",
            f"{text[2] / plain[2]:.1f}x faster",
        ]
    )
    batch = {r[0]: r for r in serving["batch"]}
    ours_batch, classic_batch = (
        batch["ours: sentiment batch, all test reviews"],
        batch["classic preprocessing alone (sample)"],
    )
    rows.append(
        [
            "batch scoring",
            f"{ours_batch[3]:,} reviews/s",
            f"classic preprocessing alone {classic_batch[3]} reviews/s",
            ours_batch[4],
        ]
    )
    stack = _load(folder, "stack")
    ours_load, classic_load = stack["results"]
    rows.append(
        [
            f"end to end, {ours_load['requests']:,} requests at concurrency {stack['concurrency']}",
            f"{ours_load['throughput']:.0f} req/s, p50 {ours_load['p50_ms']:.0f} / p95 {ours_load['p95_ms']:.0f} / "
            f"p99 {ours_load['p99_ms']:.0f} ms, {ours_load['errors']} errors",
            f"classic endpoint {classic_load['throughput']:.0f} req/s, p50 {classic_load['p50_ms']:.0f} / "
            f"p99 {classic_load['p99_ms']:.0f} ms",
            f"{ours_load['throughput'] / classic_load['throughput']:.1f}x throughput",
        ]
    )
    return rows


def write_summary(folder: str | Path) -> str:
    folder = Path(folder)
    rows = summary_rows(folder)
    record = {
        "benchmark": "summary",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "headers": HEADERS,
        "rows": rows,
    }
    storage.write_text(folder / "summary.json", json.dumps(record, indent=2))
    table = markdown_table(HEADERS, rows)
    details = ", ".join(f"[{n}]({n}.md)" for n in ("preprocess", "model", "serving", "stack"))
    storage.write_text(
        folder / "summary.md",
        f"# Benchmarks\n\n{record['date']} on {record['machine']}. Details: {details}.\n\n{table}\n",
    )
    return table
