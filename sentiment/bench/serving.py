"""Serving benchmark: our endpoint (encoded ids over HTTP) vs the classic serving path, and batch scoring.

The classic course-project endpoint took raw text and, inside predict_fn, called
`nltk.download`, rebuilt the stopword list for every word and built a new stemmer per word.
We run that path (minus the download, which needs the internet) behind the same HTTP server
and model, in the same run, on the same median-length review.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.batch import score_file
from sentiment.bench import machine_description
from sentiment.bench.preprocess import classic_review_to_words
from sentiment.core.report import markdown_table
from sentiment.data import archive, storage
from sentiment.data.reviews import read_split
from sentiment.local.processes import free_port, running
from sentiment.model.artifact import load
from sentiment.model.encoding import encode, encode_many
from sentiment.text.preprocess import preprocessor


def _latencies(port: int, body: bytes, content_type: str, n: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    out = []
    for i in range(n + 20):
        started = time.perf_counter()
        connection.request("POST", "/invocations", body, {"Content-Type": content_type})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"benchmark request failed with {response.status}")
        if i >= 20:  # warm-up
            out.append((time.perf_counter() - started) * 1000)
    connection.close()
    return out


def _percentiles(values: list[float]) -> tuple[float, float]:
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def run(model_dir: str, archive_path: str | None, output: str, requests: int = 500) -> str:
    model = load(model_dir)
    root, _ = archive.prepare_root(archive_path)
    test = read_split(root, "test")
    texts = [r.text for r in test]
    words_of = preprocessor(model.word_dict.preprocessor).words
    lengths = [len(words_of(t)) for t in texts[:2000]]
    median_text = texts[int(np.argsort(lengths)[len(lengths) // 2])]
    encoded = encode(model.word_dict, words_of(median_text), model.sequence_length)
    ids = encoded.ids[: encoded.length].tolist()
    ours_body = json.dumps(
        {"instances": [{"length": encoded.length, "ids": ids}], "vocab_sha256": model.word_dict.sha256}
    )
    explain_body = json.dumps({"instances": [{"length": encoded.length, "ids": ids}], "explain": True})

    rows: list[list[Any]] = []
    port = free_port()
    with running(
        [sys.executable, "-m", "sentiment.cli", "serve", "--model-dir", model_dir, "--port", str(port)],
        f"http://127.0.0.1:{port}/ping",
    ):
        plain = _latencies(port, ours_body.encode(), "application/json", requests)
        explained = _latencies(port, explain_body.encode(), "application/json", requests)
    port = free_port()
    with running(
        [sys.executable, "-m", "sentiment.bench.classic_server", model_dir, str(port)], f"http://127.0.0.1:{port}/ping"
    ):
        classic_latency = _latencies(port, median_text.encode(), "text/plain", max(50, requests // 10))
    for name, values in (
        ("ours: ids over HTTP", plain),
        ("ours: ids + explanation", explained),
        ("classic: text, preprocessing in predict_fn", classic_latency),
    ):
        p50, p99 = _percentiles(values)
        rows.append(
            [name, len(values), round(p50, 2), round(p99, 2), f"{statistics.median(classic_latency) / p50:.1f}x"]
        )
    table = markdown_table(["request path", "requests", "p50 ms", "p99 ms", "p50 vs classic"], rows)

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "test.txt"
        source.write_text("\n".join(t.replace("\n", " ") for t in texts) + "\n", encoding="utf-8")
        summary = score_file(model, str(source), str(Path(tmp) / "scores.csv"), workers=os.cpu_count() or 1)
    sample = texts[:: len(texts) // 500][:500]
    started = time.perf_counter()
    docs = [classic_review_to_words(t) for t in sample]
    encode_many(model.word_dict, docs, model.sequence_length)
    classic_rate = len(sample) / (time.perf_counter() - started)  # preprocessing alone: an upper bound
    measured = [
        ("ours: sentiment batch, all test reviews", summary.scored, summary.seconds),
        ("classic preprocessing alone (sample)", len(sample), len(sample) / classic_rate),
    ]
    batch_rows = [
        [name, n, round(seconds, 1), round(n / seconds), f"{n / seconds / classic_rate:.0f}x"]
        for name, n, seconds in measured
    ]
    batch_table = markdown_table(["batch scoring", "reviews", "seconds", "reviews/s", "vs classic"], batch_rows)

    record = {
        "benchmark": "serving",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "median_review_tokens": encoded.length,
        "latency": rows,
        "batch": batch_rows,
    }
    Path(output).mkdir(parents=True, exist_ok=True)
    storage.write_text(Path(output) / "serving.json", json.dumps(record, indent=2))
    header = f"# Serving benchmark\n\n{record['date']} on {record['machine']}\n\n"
    text = f"{table}\n\n{batch_table}\n"
    storage.write_text(Path(output) / "serving.md", header + text)
    return text
