"""Serving benchmark: the model server on its ONNX graphs against the same server on eager PyTorch (the
server before it moved to ONNX Runtime) and the classic text-in endpoint, in one run; then batch scoring
of the 25,000 test reviews both ways, whose labels must be identical.

The classic course-project endpoint took raw text and, inside predict_fn, called `nltk.download`,
rebuilt the stopword list for every word and built a new stemmer per word; we run that path (minus the
download, which needs the internet) behind the same HTTP front, on the same median-length review.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
from sentiment.scoring.encoding import encode, encode_many
from sentiment.scoring.graphs import GraphModel
from sentiment.text.preprocess import preprocessor


def _command(kind: str, model_dir: str, port: int, workers: int) -> list[str]:
    if kind == "onnx":
        return [sys.executable, "-m", "sentiment.cli", "serve", "--model-dir", model_dir, "--port", str(port),
                "--workers", str(workers)]  # fmt: skip
    return [sys.executable, "-m", "sentiment.bench.torch_server", model_dir, str(port), str(workers)]


@contextmanager
def server(kind: str, model_dir: str, workers: int) -> Iterator[int]:
    port = free_port()
    with running(_command(kind, model_dir, port, workers), f"http://127.0.0.1:{port}/ping"):
        yield port


def _latencies(port: int, body: bytes, content_type: str, n: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    out = []
    for i in range(n + 10):
        started = time.perf_counter()
        connection.request("POST", "/invocations", body, {"Content-Type": content_type})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"benchmark request failed with {response.status}")
        if i >= 10:  # warm-up
            out.append((time.perf_counter() - started) * 1000)
    connection.close()
    return out


def _throughput(port: int, body: bytes, reviews_per_request: int, clients: int = 4, seconds: float = 8.0) -> float:
    """Reviews per second with `clients` connections sending `body` back to back."""
    done = [0] * clients
    deadline = time.perf_counter() + seconds

    def client(i: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < deadline:
            connection.request("POST", "/invocations", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            done[i] += reviews_per_request
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def _body(rows: list[list[int]], explain: bool = False) -> bytes:
    instances = [{"length": len(r), "ids": r} for r in rows]
    return json.dumps({"instances": instances, "explain": explain}).encode()


def _percentiles(values: list[float]) -> tuple[float, float]:
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def run(model_dir: str, archive_path: str | None, output: str, requests: int = 300) -> str:
    model = load(model_dir)
    root, _ = archive.prepare_root(archive_path)
    texts = [r.text for r in read_split(root, "test")]
    words_of = preprocessor(model.word_dict.preprocessor).words
    sample = [words_of(t) for t in texts[:2000]]
    median_text = texts[int(np.argsort([len(w) for w in sample])[len(sample) // 2])]
    encoded = encode(model.word_dict, words_of(median_text), model.sequence_length)
    median = encoded.ids[: encoded.length].tolist()
    longest = next(model.word_dict.model_ids(w, model.sequence_length) for w in sample if len(w) >= 1000)
    hundred = [model.word_dict.model_ids(w, model.sequence_length) for w in sample[:100]]
    cases = [
        ("one median review", _body([median]), 1),
        ("one median review, explained", _body([median], explain=True), 1),
        ("one 1,000-id review", _body([longest]), 1),
        ("one 1,000-id review, explained", _body([longest], explain=True), 1),
        ("100 reviews", _body(hundred), 10),
        ("100 reviews, explained", _body(hundred, explain=True), 10),
    ]
    measured: dict[str, dict[str, tuple[float, float]]] = {}
    throughput: dict[str, float] = {}
    for kind in ("onnx", "torch"):
        with server(kind, model_dir, 1) as port:
            measured[kind] = {
                name: _percentiles(_latencies(port, body, "application/json", max(20, requests // scale)))
                for name, body, scale in cases
            }
        with server(kind, model_dir, os.cpu_count() or 1) as port:
            throughput[kind] = _throughput(port, _body([median]), 1)
    port = free_port()
    with running(
        [sys.executable, "-m", "sentiment.bench.classic_server", model_dir, str(port)], f"http://127.0.0.1:{port}/ping"
    ):
        classic = _percentiles(_latencies(port, median_text.encode(), "text/plain", max(50, requests // 6)))
    rows: list[list[Any]] = []
    for name, _, _ in cases:
        (onnx_p50, onnx_p99), (torch_p50, torch_p99) = measured["onnx"][name], measured["torch"][name]
        rows.append([name, round(onnx_p50, 2), round(onnx_p99, 2), round(torch_p50, 2), round(torch_p99, 2),
                     f"{torch_p50 / onnx_p50:.1f}x"])  # fmt: skip
    rows.append(["classic: text in, preprocessing in predict_fn", "", "", round(classic[0], 2), round(classic[1], 2),
                 f"{classic[0] / measured['onnx']['one median review'][0]:.1f}x"])  # fmt: skip
    rows.append([f"throughput, {os.cpu_count()} workers, 4 clients (reviews/s)", round(throughput["onnx"]), "",
                 round(throughput["torch"]), "", f"{throughput['onnx'] / throughput['torch']:.1f}x"])  # fmt: skip
    table = markdown_table(
        ["request (HTTP, one worker)", "ONNX p50 ms", "ONNX p99 ms", "torch p50 ms", "torch p99 ms", "p50 torch/ONNX"],
        rows,
    )

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "test.txt"
        source.write_text("\n".join(t.replace("\n", " ") for t in texts) + "\n", encoding="utf-8")
        workers = os.cpu_count() or 1
        graphs = score_file(GraphModel.load(model_dir), str(source), str(Path(tmp) / "onnx.csv"), workers=workers)
        eager = score_file(model, str(source), str(Path(tmp) / "torch.csv"), workers=workers)
        labels = [(Path(tmp) / f"{k}.csv").read_text().splitlines() for k in ("onnx", "torch")]
        differing = sum(a.split(",")[1] != b.split(",")[1] for a, b in zip(*labels, strict=True))
    docs = [classic_review_to_words(t) for t in texts[:500]]
    started = time.perf_counter()
    encode_many(model.word_dict, docs, model.sequence_length)
    classic_rate = len(docs) / (time.perf_counter() - started)  # preprocessing alone: an upper bound
    batch_rows = [
        ["ours: sentiment batch on the graphs", graphs.scored, round(graphs.seconds, 1),
         round(graphs.scored / graphs.seconds), f"{graphs.seconds and eager.seconds / graphs.seconds:.1f}x"],
        ["the same on eager torch", eager.scored, round(eager.seconds, 1), round(eager.scored / eager.seconds), "1.0x"],
    ]  # fmt: skip
    batch_table = markdown_table(["batch scoring (all test reviews)", "reviews", "seconds", "reviews/s", "vs torch"],
                                 batch_rows)  # fmt: skip
    record = {
        "benchmark": "serving",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "median_review_tokens": encoded.length,
        "latency": rows,
        "batch": batch_rows,
        "classic_preprocessing_reviews_per_s": round(classic_rate),
        "labels_differing": differing,
        "throughput": {k: round(v) for k, v in throughput.items()},
    }
    Path(output).mkdir(parents=True, exist_ok=True)
    storage.write_text(Path(output) / "serving.json", json.dumps(record, indent=2))
    header = f"# Serving benchmark\n\n{record['date']} on {record['machine']}\n\n"
    labels_line = f"Labels of the {graphs.scored:,} test reviews that differ between the two: {differing}.\n"
    text = f"{table}\n\n{batch_table}\n\n{labels_line}"
    storage.write_text(Path(output) / "serving.md", header + text)
    return text
