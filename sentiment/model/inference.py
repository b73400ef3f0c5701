"""Scoring with the PyTorch network in training and evaluation: batched logits (and stars).

Torch and numpy only. The model server, batch scoring and drift score the exported graphs instead
(sentiment.scoring), without torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np
import torch

from sentiment.core.errors import ConfigError
from sentiment.model.network import SentimentNetwork


class Rows(Protocol):
    """Right-padded ids (n, N) and their true lengths (n,), e.g. a training file's EncodedSet."""

    @property
    def ids(self) -> np.ndarray: ...

    @property
    def lengths(self) -> np.ndarray: ...


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and bool(mps.is_available())


def resolve_device(name: str = "auto") -> torch.device:
    """ "auto": CUDA when a GPU is there, else Apple's MPS, else the CPU; or the device named."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA device is available here (use auto or cpu)")
    if name == "mps" and not _mps_available():
        raise ConfigError("--device mps: Apple's MPS is not available here (use auto or cpu)")
    if name not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"--device must be auto, cpu, cuda or mps, not {name!r}")
    return torch.device(name)


def device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """`tensor` on `device`: from pinned memory without waiting, on CUDA."""
    if device.type == "cuda":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)


def batch_tensors(
    rows: Rows, index: np.ndarray, device: torch.device | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Ids of the rows at `index`, cut to their longest review, and their lengths (on `device`)."""
    lengths = rows.lengths[index]
    ids, lengths_tensor = torch.from_numpy(rows.ids[index, : int(lengths.max())]), torch.from_numpy(lengths)
    if device is None:
        return ids, lengths_tensor
    return to_device(ids, device), to_device(lengths_tensor, device)


def _length_sorted_batches(
    data: Rows, batch_size: int, device: torch.device | None = None
) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
    """(row positions, ids, lengths) of batches of similar lengths: little padding to score."""
    order = np.argsort(data.lengths, kind="stable")
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        yield index, *batch_tensors(data, index, device)


@torch.inference_mode()
def predict_logits(model: SentimentNetwork, data: Rows, batch_size: int = 256, branch: str | None = None) -> np.ndarray:
    """Logits for every row (of the whole model, or of one `branch`), in length-sorted batches, on the
    model's device."""
    model.eval()
    out = np.empty(len(data.lengths), dtype=np.float64)
    for index, ids, lengths in _length_sorted_batches(data, batch_size, device_of(model)):
        logits = model(ids, lengths) if branch is None else model.branch_logit(branch, ids, lengths)
        out[index] = logits.double().cpu().numpy()
    return out


@torch.inference_mode()
def predict_outputs(model: SentimentNetwork, data: Rows, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray | None]:
    """Logits for every row and, with a rating head, expected stars, in length-sorted batches, on the
    model's device."""
    model.eval()
    logits = np.empty(len(data.lengths), dtype=np.float64)
    stars = np.empty(len(data.lengths), dtype=np.float64) if model.config.rating_head else None
    for index, ids, lengths in _length_sorted_batches(data, batch_size, device_of(model)):
        outputs = model.outputs(ids, lengths)
        logits[index] = outputs.logits.double().cpu().numpy()
        if stars is not None and outputs.stars is not None:
            stars[index] = outputs.stars.double().cpu().numpy()
    return logits, stars
