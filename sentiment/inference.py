"""Scoring with a trained network: batched logits and calibrated probabilities.

Torch and numpy only: the model server, batch scoring, evaluation and training all score through
here, so serving never imports training code (scikit-learn, scipy, matplotlib, tqdm).
"""

from __future__ import annotations

import numpy as np
import torch

from .network import SentimentNetwork
from .training_files import EncodedSet


def calibrated(logits: np.ndarray, temperature: float) -> np.ndarray:
    """P(positive) of each logit after temperature scaling."""
    return torch.sigmoid(torch.as_tensor(logits, dtype=torch.float64) / temperature).numpy()


def batch_tensors(data: EncodedSet, index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Ids cut to the batch's longest review, lengths and float labels."""
    lengths = data.lengths[index]
    ids = data.ids[index, : int(lengths.max())]
    return torch.from_numpy(ids), torch.from_numpy(lengths), torch.from_numpy(data.labels[index]).float()


@torch.inference_mode()
def predict_logits(
    model: SentimentNetwork, data: EncodedSet, batch_size: int = 256, branch: str | None = None
) -> np.ndarray:
    """Logits for every row (of the whole model, or of one `branch`), in length-sorted batches."""
    model.eval()
    order = np.argsort(data.lengths, kind="stable")
    out = np.empty(len(data), dtype=np.float64)
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        ids, lengths, _ = batch_tensors(data, index)
        logits = model(ids, lengths) if branch is None else model.branch_logit(branch, ids, lengths)
        out[index] = logits.double().numpy()
    return out
