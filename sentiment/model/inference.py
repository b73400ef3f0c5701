"""Scoring with the PyTorch network in training and evaluation: batched logits (and stars).

Torch and numpy only. The model server, batch scoring and drift score the exported graphs instead
(sentiment.scoring), without torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np
import torch

from sentiment.model.network import SentimentNetwork


class Rows(Protocol):
    """Right-padded ids (n, N) and their true lengths (n,), e.g. a training file's EncodedSet."""

    @property
    def ids(self) -> np.ndarray: ...

    @property
    def lengths(self) -> np.ndarray: ...


def batch_tensors(rows: Rows, index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Ids of the rows at `index`, cut to their longest review, and their lengths."""
    lengths = rows.lengths[index]
    return torch.from_numpy(rows.ids[index, : int(lengths.max())]), torch.from_numpy(lengths)


def _length_sorted_batches(data: Rows, batch_size: int) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
    """(row positions, ids, lengths) of batches of similar lengths: little padding to score."""
    order = np.argsort(data.lengths, kind="stable")
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        yield index, *batch_tensors(data, index)


@torch.inference_mode()
def predict_logits(model: SentimentNetwork, data: Rows, batch_size: int = 256, branch: str | None = None) -> np.ndarray:
    """Logits for every row (of the whole model, or of one `branch`), in length-sorted batches."""
    model.eval()
    out = np.empty(len(data.lengths), dtype=np.float64)
    for index, ids, lengths in _length_sorted_batches(data, batch_size):
        logits = model(ids, lengths) if branch is None else model.branch_logit(branch, ids, lengths)
        out[index] = logits.double().numpy()
    return out


@torch.inference_mode()
def predict_outputs(model: SentimentNetwork, data: Rows, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray | None]:
    """Logits for every row and, with a rating head, expected stars, in length-sorted batches."""
    model.eval()
    logits = np.empty(len(data.lengths), dtype=np.float64)
    stars = np.empty(len(data.lengths), dtype=np.float64) if model.config.rating_head else None
    for index, ids, lengths in _length_sorted_batches(data, batch_size):
        outputs = model.outputs(ids, lengths)
        logits[index] = outputs.logits.double().numpy()
        if stars is not None and outputs.stars is not None:
            stars[index] = outputs.stars.double().numpy()
    return logits, stars
