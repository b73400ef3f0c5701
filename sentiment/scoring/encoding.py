"""Stems -> right-padded numpy id arrays, the model's input (numpy; the Lambda sends plain lists instead)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from sentiment.core.errors import ConfigError
from sentiment.text.vocab import WordDict


class Padded(NamedTuple):
    """A review as a fixed-length id array, the number of real ids, and whether it was cut."""

    ids: np.ndarray
    length: int
    truncated: bool


def encode(word_dict: WordDict, stems: Sequence[str], length: int = 500) -> Padded:
    """Ids of the first `length` stems, right-padded with PAD_ID to exactly `length`."""
    if length < 1:
        raise ConfigError(f"sequence length must be at least 1, got {length}")
    kept = word_dict.ids(stems[:length])
    out = np.zeros(length, dtype=np.int32)
    out[: len(kept)] = kept
    return Padded(out, len(kept), len(stems) > length)


class PaddedRows(NamedTuple):
    """Many reviews: an (n, length) id matrix, right-padded, and the n true lengths."""

    ids: np.ndarray
    lengths: np.ndarray


def encode_many(
    word_dict: WordDict, docs: Sequence[Sequence[str]], length: int = 500, for_model: bool = False
) -> PaddedRows:
    """Encode many reviews at once: an (n, length) id matrix and the n true lengths
    (`for_model`: empty reviews become one UNKNOWN_ID, as in `WordDict.model_ids`)."""
    matrix = np.zeros((len(docs), length), dtype=np.int32)
    lengths = np.zeros(len(docs), dtype=np.int32)
    for row, stems in enumerate(docs):
        kept = word_dict.model_ids(stems, length) if for_model else word_dict.ids(stems[:length])
        matrix[row, : len(kept)] = kept
        lengths[row] = len(kept)
    return PaddedRows(matrix, lengths)
