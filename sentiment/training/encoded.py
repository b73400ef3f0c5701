"""The training files: the EncodedSet of a split (labels, lengths, right-padded ids) and the classic
SageMaker layout `label,length,id_1,...,id_N` per line, no header."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentiment.core.errors import DataError

RATINGS_FILE = "ratings.json"  # {"train": [stars, ...], "validation": [...], "test": [...]}, row for row
SENTENCES_FILE = "train_sentences.csv"  # a crop of 1-2 sentences of each training review, its label
UNLABELLED_FILE = "unlabelled.csv"  # the unlabelled reviews (label -1), their first UNLABELLED_IDS ids
UNLABELLED_IDS = 400
SHORT_TEXTS_FILE = "test_first_sentences.jsonl"  # {"text", "label"}: the evaluation's short-text slice


def read_ratings(folder: str | Path, split: str, rows: int) -> np.ndarray | None:
    """The 1-10 star rating of each row of `split`, 0 for a row without one (a synthetic review); None
    when the folder has no ratings.json."""
    path = Path(folder) / RATINGS_FILE
    if not path.is_file():
        return None
    try:
        ratings = np.asarray(json.loads(path.read_text(encoding="utf-8"))[split], dtype=np.int64)
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: no list of whole-number ratings for {split} ({exc})") from None
    if ratings.shape != (rows,) or not ((ratings >= 0) & (ratings <= 10)).all():
        raise DataError(f"{path}: {split} needs {rows:,} ratings from 1 to 10 (0: none), one per row")
    return ratings


@dataclass(frozen=True)
class EncodedSet:
    """Labels (n,), true lengths (n,) and right-padded ids (n, N) of one split."""

    labels: np.ndarray
    lengths: np.ndarray
    ids: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def narrowed(self) -> EncodedSet:
        """The rows cut to the longest one (a file of short texts holds no columns of padding only)."""
        return EncodedSet(self.labels, self.lengths, self.ids[:, : max(int(self.lengths.max()), 1)])

    def widened(self, width: int) -> EncodedSet:
        """The rows padded (or cut, lengths with them) to `width` ids, to join rows of another width."""
        lengths = np.minimum(self.lengths, width)
        ids = np.zeros((len(self), width), dtype=self.ids.dtype)
        ids[:, : min(width, self.ids.shape[1])] = self.ids[:, :width]
        ids *= np.arange(width)[None, :] < lengths[:, None]
        return EncodedSet(self.labels, lengths, ids)


def concatenate(*sets: EncodedSet) -> EncodedSet:
    """The rows of several sets of the same width, in order."""
    return EncodedSet(*(np.concatenate([getattr(s, f) for s in sets]) for f in ("labels", "lengths", "ids")))


def to_csv(rows: EncodedSet) -> bytes:
    """The rows in the training-file layout."""
    lines = [
        f"{label},{length}," + ",".join(map(str, ids))
        for label, length, ids in zip(rows.labels.tolist(), rows.lengths.tolist(), rows.ids.tolist(), strict=True)
    ]
    return ("\n".join(lines) + "\n").encode("ascii")


def read_csv(path: str | Path, vocab_size: int | None = None, unlabelled: bool = False) -> EncodedSet:
    """Read and check a training file (`unlabelled`: every label -1); errors name the line and the problem."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data": reported below
            table = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    except FileNotFoundError:
        raise DataError(f"training file not found: {path}") from None
    except ValueError as exc:
        raise DataError(f"{path}: not a training file of integers ({exc})") from None
    if table.shape[0] == 0:
        raise DataError(f"{path}: the file has no rows")
    if table.shape[1] < 3:
        raise DataError(f"{path}: rows need label,length,id_1,... (found {table.shape[1]} columns)")
    labels, lengths, ids = table[:, 0], table[:, 1], table[:, 2:]
    width = ids.shape[1]
    if unlabelled:
        _check(path, labels, labels != -1, "label of an unlabelled review must be -1")
    else:
        _check(path, labels, ~np.isin(labels, (0, 1)), "label must be 0 or 1")
    _check(path, lengths, (lengths < 1) | (lengths > width), f"length must be 1..{width}")
    _check(path, ids.min(axis=1), ids.min(axis=1) < 0, "ids must not be negative")
    if vocab_size is not None:
        _check(
            path, ids.max(axis=1), ids.max(axis=1) >= vocab_size, f"ids must be below the vocabulary size {vocab_size}"
        )
    padded = np.arange(width)[None, :] >= lengths[:, None]
    bad_padding = (ids * padded).any(axis=1)
    _check(path, lengths, bad_padding, "ids after `length` must be padding (0)")
    return EncodedSet(labels.astype(np.int64), lengths.astype(np.int64), ids.astype(np.int64))


def _check(path: str | Path, values: np.ndarray, bad: np.ndarray | np.bool_, rule: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"{path}, line {row + 1}: {rule} (found {values[row]}); {int(bad.sum())} such line(s)")
