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
    median, longest = latency["one median review"], latency["one 1,000-id review"]
    classic = latency["classic: text in, preprocessing in predict_fn"]
    rows.append(
        [
            "endpoint p50 / p99: one median review",
            f"{median[1]} / {median[2]} ms",
            f"eager torch {median[3]} / {median[4]} ms; classic {classic[3]} ms",
            f"{median[5]} faster",
        ]
    )
    rows.append(
        [
            "endpoint p50: one 1,000-id review",
            f"{longest[1]} ms",
            f"eager torch {longest[3]} ms",
            f"{longest[5]} faster",
        ]
    )
    batch = {r[0]: r for r in serving["batch"]}
    graphs, eager = batch["ours: sentiment batch on the graphs"], batch["the same on eager torch"]
    rows.append(
        [
            f"batch scoring ({graphs[1]:,} test reviews)",
            f"{graphs[3]:,} reviews/s, {serving['labels_differing']} labels differ",
            f"eager torch {eager[3]:,} reviews/s",
            graphs[4],
        ]
    )
    stack = _load(folder, "stack")
    ours_load, torch_load, classic_load = stack["results"]
    rows.append(
        [
            f"end to end, {ours_load['requests']:,} requests at concurrency {stack['concurrency']}",
            f"{ours_load['throughput']:.0f} req/s, p50 {ours_load['p50_ms']:.0f} / p95 {ours_load['p95_ms']:.0f} / "
            f"p99 {ours_load['p99_ms']:.0f} ms, {ours_load['errors']} errors",
            f"on eager torch {torch_load['throughput']:.0f} req/s; classic endpoint "
            f"{classic_load['throughput']:.0f} req/s",
            f"{ours_load['throughput'] / torch_load['throughput']:.1f}x throughput",
        ]
    )
    containers = _load(folder, "containers")
    image, before = (containers["model_image"][k] for k in containers["model_image"])
    rows.append(
        [
            "model image: size, docker run -> /ping, MB per worker",
            f"{image['image_mb']} MB, {image['start_s']} s, {max(image['worker_rss_mb'])} MB",
            f"eager torch {before['image_mb']} MB, {before['start_s']} s, {max(before['worker_rss_mb'])} MB",
            f"{before['image_mb'] / image['image_mb']:.1f}x smaller",
        ]
    )
    function = containers["lambda"]
    rows.append(
        [
            "Lambda: the handler's cold import (after the runtime's boto3)",
            f"{function['init_s'] * 1000:.0f} ms",
            f"goal 200 ms (the runtime's boto3 itself {function['boto3_s'] * 1000:.0f} ms)",
            f"{function['init_s'] * 1000 / 200:.0%} of the goal",
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
    details = ", ".join(f"[{n}]({n}.md)" for n in ("preprocess", "model", "serving", "stack", "containers"))
    storage.write_text(
        folder / "summary.md",
        f"# Benchmarks\n\n{record['date']} on {record['machine']}. Details: {details}.\n\n{table}\n",
    )
    return table
