"""Model benchmark: every named architecture and two linear baselines, trained here, in one run.

The named configs (sentiment.model.network: classic LSTM, BiGRU, attention pooling, CNN + BiGRU,
and the default: BiGRU + n-gram branch) train on their setup's data (data/prepare.py SETUPS)
within the same time budget each, and are evaluated on all 25,000 test reviews: accuracy, F1,
ROC-AUC, ECE, training time, p50 latency of one review end to end in one process (preprocess,
encode, score), and the behavioural suite's pass rate. The baselines train on the same training
reviews: a TF-IDF 1-2-gram logistic regression on raw text, and an NB-weighted logistic regression
(NBSVM, Wang & Manning 2012) on exact 1-3-grams of the default preprocessing's words.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.bench import machine_description
from sentiment.bench.baseline import fit_nbsvm, fit_tfidf_logistic
from sentiment.core import config
from sentiment.core.report import markdown_table
from sentiment.data import archive, storage
from sentiment.data.prepare import PrepareOptions, prepare
from sentiment.data.reviews import read_split, split_validation
from sentiment.model.artifact import load
from sentiment.model.network import named_config
from sentiment.scoring.text_scorer import TextScorer
from sentiment.text.preprocess import DEFAULT_VERSION, review_to_words
from sentiment.training.behaviour import run_suite
from sentiment.training.evaluate import score_metrics
from sentiment.training.train import TrainConfig
from sentiment.training.workflow import train_artifact

BUDGET_MINUTES = 5.0  # training time each named config gets (the wide branch's fit included)
# Each row: its named config, the data it trains on, and its settings beyond TrainConfig's defaults.
# The recurrent configs alone have no n-gram branch, so no teacher for self-training (wide_fit.py).
SETUPS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "classic": ("classic", "classic", {"epochs": 4, "batch_size": 64, "learning_rate": 3e-3}),
    "bigru": ("bigru", "default", {"epochs": 3}),
    "attention": ("attention", "default", {"epochs": 3}),
    "cnn-rnn": ("cnn-rnn", "default", {"epochs": 3}),
    # the default without the unlabelled reviews and the sentence crops: what they add, same budget
    "default, labelled reviews only": (
        "default",
        "default",
        {"epochs": 3, "unlabelled_rows": 0, "sentence_weight": 0.0},
    ),
    "default": ("default", "default", {}),
}


def _latency_ms(score: Callable[[list[str]], np.ndarray], reviews: Sequence[str], repeats: int = 200) -> float:
    """p50 milliseconds to score one review (of median length) at a time, end to end."""
    median = sorted(reviews, key=len)[len(reviews) // 2]
    score([median])  # warm-up
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        score([median])
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _row(
    name: str, scores: np.ndarray, labels: np.ndarray, train_seconds: float, latency_ms: float, behaviour: float | None
) -> dict[str, Any]:
    metrics = score_metrics(scores, labels)
    return {
        "model": name,
        "accuracy": round(metrics["accuracy"], 4),
        "f1": round(metrics["f1"], 4),
        "roc_auc": round(metrics["roc_auc"], 4),
        "ece": round(metrics["ece"], 4),
        "train_seconds": round(train_seconds, 1),
        "p50_ms_per_review": round(latency_ms, 2),
        "behaviour_pass_rate": behaviour,
    }


def run(archive_path: str | None, output: str, configs: Sequence[str] = tuple(SETUPS)) -> str:
    root, _ = archive.prepare_root(archive_path)
    train_reviews, _ = split_validation(read_split(root, "train"), 0.1, seed=config.DEFAULT_SEED)
    test_reviews = read_split(root, "test")
    test_texts = [r.text for r in test_reviews]
    labels = np.array([r.label for r in test_reviews])
    rows = []
    for name in configs:
        network, setup, settings = SETUPS[name]
        data_dir = str(config.DATA_DIR / setup)
        prepare(PrepareOptions.for_setup(setup, archive=archive_path, output=data_dir))
        started = time.perf_counter()
        runs = str(config.RUNS_DIR / "bench-model" / name.replace(", ", "-").replace(" ", "-"))
        budget = TrainConfig(**settings, max_minutes=BUDGET_MINUTES)
        train_artifact(named_config(network), budget, data_dir, data_dir, runs)
        train_seconds = time.perf_counter() - started
        scorer = TextScorer(load(runs))
        suite = run_suite(scorer.scores)["pass_rate"]
        rows.append(
            _row(name, scorer.scores(test_texts), labels, train_seconds, _latency_ms(scorer.scores, test_texts), suite)
        )

    train_texts, train_labels = [r.text for r in train_reviews], np.array([r.label for r in train_reviews])
    tfidf = fit_tfidf_logistic(train_texts, train_labels)
    rows.append(
        _row(
            "baseline: TF-IDF 1-2-gram logistic regression",
            tfidf.scores(test_texts),
            labels,
            tfidf.train_seconds,
            _latency_ms(tfidf.scores, test_texts),
            run_suite(tfidf.scores)["pass_rate"],
        )
    )
    words = [review_to_words(t, DEFAULT_VERSION) for t in train_texts]
    nbsvm = fit_nbsvm(words, train_labels)
    nbsvm_score = nbsvm.scorer(lambda text: review_to_words(text, DEFAULT_VERSION))
    rows.append(
        _row(
            "baseline: NBSVM 1-3-grams (default words)",
            nbsvm_score(test_texts),
            labels,
            nbsvm.train_seconds,
            _latency_ms(nbsvm_score, test_texts),
            run_suite(nbsvm_score)["pass_rate"],
        )
    )

    headers = list(rows[0])
    table = markdown_table(headers, [[r[h] for h in headers] for r in rows])
    record = {
        "benchmark": "model",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "budget_minutes": BUDGET_MINUTES,
        "rows": rows,
    }
    Path(output).mkdir(parents=True, exist_ok=True)
    storage.write_text(Path(output) / "model.json", json.dumps(record, indent=2))
    header = (
        f"# Model benchmark (IMDB test set, 25,000 reviews)\n\n{record['date']} on {record['machine']}; "
        f"each named config trained within {BUDGET_MINUTES:g} minutes\n\n"
    )
    storage.write_text(Path(output) / "model.md", header + table + "\n")
    return table
