"""Model benchmark: the classic configuration, our default model and a TF-IDF baseline in one run.

Each model is trained here, on this machine, and evaluated on all 25,000 test reviews.
Inference speed is end to end from raw text (preprocess, encode, score) in one process.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.bench import machine_description
from sentiment.bench.baseline import fit_tfidf_logistic
from sentiment.core.report import markdown_table
from sentiment.data import archive, storage
from sentiment.data.prepare import PrepareOptions, prepare
from sentiment.data.reviews import read_split, split_validation
from sentiment.model.artifact import load
from sentiment.model.network import named_config
from sentiment.model.text_scorer import TextScorer
from sentiment.training.evaluate import score_metrics
from sentiment.training.train import TrainConfig
from sentiment.training.workflow import train_artifact

# What each model needs from data preparation and training; `make train` uses the same.
SETUPS: dict[str, dict[str, Any]] = {
    "classic": {
        "data": {"vocab_size": 5_000},
        "train": {"epochs": 4, "batch_size": 64, "learning_rate": 3e-3},
    },
    "default": {
        "data": {"vocab_size": 25_000, "embedding_dim": 100},
        "train": {},
    },
}


def _row(name: str, metrics: dict[str, Any], train_seconds: float, rate: float) -> dict[str, Any]:
    return {
        "model": name,
        "accuracy": round(metrics["accuracy"], 4),
        "f1": round(metrics["f1"], 4),
        "roc_auc": round(metrics["roc_auc"], 4),
        "ece": round(metrics["ece"], 4),
        "train_seconds": round(train_seconds, 1),
        "reviews_per_s": round(rate, 1),
    }


def _timed_scores(score, texts: list[str]) -> tuple[np.ndarray, float]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    scores = score(texts)
    return scores, len(texts) / (time.perf_counter() - started)


def run(archive_path: str | None, output: str, data_root: str = "data", runs: str = "runs") -> str:
    root, _ = archive.prepare_root(archive_path)
    train_reviews, _ = split_validation(read_split(root, "train"), 0.1, seed=42)
    test_reviews = read_split(root, "test")
    test_texts = [r.text for r in test_reviews]
    test_labels = np.array([r.label for r in test_reviews])
    rows = []

    for name, setup in SETUPS.items():
        data_dir = f"{data_root}/{name}"
        prepare(PrepareOptions(archive=archive_path, output=data_dir, **setup["data"]))
        started = time.perf_counter()
        train_artifact(named_config(name), TrainConfig(**setup["train"]), data_dir, data_dir, f"{runs}/{name}")
        train_seconds = time.perf_counter() - started
        scorer = TextScorer(load(f"{runs}/{name}"))
        scores, rate = _timed_scores(scorer.scores, test_texts)
        rows.append(_row(name, score_metrics(scores, test_labels), train_seconds, rate))

    baseline = fit_tfidf_logistic([r.text for r in train_reviews], np.array([r.label for r in train_reviews]))
    scores, rate = _timed_scores(baseline.scores, test_texts)
    rows.append(_row("tfidf-1-2gram-logreg", score_metrics(scores, test_labels), baseline.train_seconds, rate))

    headers = list(rows[0])
    table = markdown_table(headers, [[r[h] for h in headers] for r in rows])
    record = {
        "benchmark": "model",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "rows": rows,
    }
    Path(output).mkdir(parents=True, exist_ok=True)
    storage.write_text(Path(output) / "model.json", json.dumps(record, indent=2))
    header = f"# Model benchmark (IMDB test set, 25,000 reviews)\n\n{record['date']} on {record['machine']}\n\n"
    storage.write_text(Path(output) / "model.md", header + table + "\n")
    return table
