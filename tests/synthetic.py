"""A small synthetic sentiment task the tests train on: words 2..11 are positive, 12..21 negative."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sentiment.model.network import NetworkConfig
from sentiment.text.preprocess import CLASSIC
from sentiment.text.vocab import WordDict
from sentiment.training.encoded import (
    RATINGS_FILE,
    SENTENCES_FILE,
    SHORT_TEXTS_FILE,
    UNLABELLED_FILE,
    EncodedSet,
    to_csv,
)
from sentiment.training.train import TrainConfig, TrainResult, train
from sentiment.training.wide_fit import ExtraRows

VOCAB = 60
WIDTH = 40


def word_dict() -> WordDict:
    """Words w2..w59 under the classic preprocessing (stopwords like "and" are no tokens)."""
    return WordDict(tuple(f"w{i}" for i in range(2, VOCAB)), CLASSIC)


def encoded_set(n: int, seed: int, width: int = WIDTH) -> EncodedSet:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    lengths = rng.integers(4, width + 1, n)
    ids = np.zeros((n, width), dtype=np.int64)
    for row in range(n):
        words = rng.integers(22, VOCAB, lengths[row])
        cues = rng.integers(2, 12, 3) if labels[row] else rng.integers(12, 22, 3)
        where = rng.choice(lengths[row], size=min(3, lengths[row]), replace=False)
        words[where] = cues[: len(where)]
        ids[row, : lengths[row]] = words
    return EncodedSet(labels, lengths, ids)


def star_ratings(data: EncodedSet, seed: int) -> np.ndarray:
    """A star rating per row as IMDB has them: 7-10 for a positive row, 1-4 for a negative one; more
    stars the longer a positive review (fewer for a negative one), so a head has something to learn."""
    rng = np.random.default_rng(seed)
    strength = np.clip((data.lengths - 4) * 4 // (WIDTH - 3) + rng.integers(-1, 2, len(data)), 0, 3)
    return np.where(data.labels == 1, 7 + strength, 4 - strength).astype(np.int64)


def fit(
    network: NetworkConfig,
    settings: TrainConfig,
    n_train: int = 256,
    n_validation: int = 64,
    extra: ExtraRows | None = None,
) -> TrainResult:
    """`train` on the synthetic task, with the ratings and word table a network may need."""
    train_set, validation_set = encoded_set(n_train, 1), encoded_set(n_validation, 2)
    ratings = (star_ratings(train_set, 1), star_ratings(validation_set, 2))
    return train(
        network,
        train_set,
        validation_set,
        settings,
        progress=False,
        ratings=ratings,
        deep_ids=word_dict().unmarked_ids(),
        extra=extra,
    )


def unlabelled_set(n: int, seed: int, width: int = WIDTH) -> tuple[EncodedSet, np.ndarray]:
    """Rows of the synthetic task with label -1 (as unlabelled.csv holds them), and their true labels."""
    rows = encoded_set(n, seed, width)
    return EncodedSet(np.full(n, -1), rows.lengths, rows.ids), rows.labels


def write_prepared(folder: Path, n_train: int = 256, n_validation: int = 64, n_test: int = 64) -> Path:
    """A `sentiment data`-shaped folder of synthetic training files (with sentence crops, unlabelled
    rows and the test rows' short texts)."""
    folder.mkdir(parents=True, exist_ok=True)
    ratings = {}
    for name, n, seed in (("train", n_train, 1), ("validation", n_validation, 2), ("test", n_test, 3)):
        rows = encoded_set(n, seed)
        (folder / f"{name}.csv").write_bytes(to_csv(rows))
        ratings[name] = star_ratings(rows, seed).tolist()
    (folder / RATINGS_FILE).write_text(json.dumps(ratings))
    (folder / SENTENCES_FILE).write_bytes(to_csv(encoded_set(n_train, 4, width=8)))
    (folder / UNLABELLED_FILE).write_bytes(to_csv(unlabelled_set(n_train, 5)[0]))
    short = encoded_set(n_test, 6, width=6)
    lines = [
        json.dumps({"text": " ".join(f"w{i}" for i in ids[:length]), "label": int(label)})
        for label, length, ids in zip(short.labels, short.lengths, short.ids.tolist(), strict=True)
    ]
    (folder / SHORT_TEXTS_FILE).write_text("\n".join(lines) + "\n")
    word_dict().save(folder / "word_dict.json")
    return folder
