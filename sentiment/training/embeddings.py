"""Word vectors of the dictionary as a plain .npy matrix (written by data preparation, read by training)."""

from __future__ import annotations

import io

import numpy as np

from sentiment.core.errors import DataError

EMBEDDINGS_FILE = "embeddings.npy"


def to_bytes(matrix: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, matrix.astype(np.float32), allow_pickle=False)
    return buffer.getvalue()


def load(path: str, vocab_size: int) -> np.ndarray:
    """Read an embeddings.npy (never pickled) and check it fits the dictionary."""
    try:
        matrix = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataError(f"embeddings not found: {path}") from None
    except ValueError as exc:
        raise DataError(f"{path} is not a plain .npy matrix: {exc}") from None
    if matrix.ndim != 2 or matrix.shape[0] != vocab_size:
        raise DataError(f"{path} has shape {matrix.shape}, expected ({vocab_size}, dim)")
    return matrix.astype(np.float32)
