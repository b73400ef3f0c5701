"""A small synthetic sentiment task the tests train on: words 2..11 are positive, 12..21 negative."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sentiment.text.vocab import WordDict
from sentiment.training.encoded import EncodedSet, to_csv

VOCAB = 60
WIDTH = 40


def word_dict() -> WordDict:
    return WordDict(tuple(f"w{i}" for i in range(2, VOCAB)))


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


def write_prepared(folder: Path, n_train: int = 256, n_validation: int = 64, n_test: int = 64) -> Path:
    """A `sentiment data`-shaped folder of synthetic training files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, n, seed in (("train", n_train, 1), ("validation", n_validation, 2), ("test", n_test, 3)):
        (folder / f"{name}.csv").write_bytes(to_csv(encoded_set(n, seed)))
    word_dict().save(folder / "word_dict.json")
    return folder
