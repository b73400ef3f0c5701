"""Scoring many rows with any scoring model (ONNX graphs or the PyTorch network): length-sorted chunks
of bounded padded size, so memory stays bounded whatever the rows' shape and little padding is scored;
`parallel` chunks at a time for bulk work (ONNX Runtime releases the GIL, and one session's GRU gains
little from more intra-op threads: two chunks at once on two cores score 1.9x as fast, one chunk on
two threads 1.1x)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

SCORE_CHUNK_IDS = 8_192  # padded ids per chunk: bounded memory per request (and faster than larger ones)


class ScoringModel(Protocol):
    """What chunked scoring needs of a model: outputs and explanations of right-padded rows."""

    @property
    def rating_head(self) -> bool: ...

    def outputs(self, ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]: ...

    def explained(self, ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]: ...


class ServableModel(ScoringModel, Protocol):
    """What the model server needs of a model (the graphs; the PyTorch network in benchmarks)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def sequence_length(self) -> int: ...

    @property
    def vocab_size(self) -> int: ...

    @property
    def vocab_sha256(self) -> str: ...

    @property
    def temperature(self) -> float: ...


@dataclass(frozen=True)
class Scored:
    """Logits of every row, in the rows' order; stars with a rating head; shares when explained."""

    logits: np.ndarray
    stars: np.ndarray | None
    shares: list[np.ndarray] | None  # each row's shares, its own length long


def chunks(lengths: np.ndarray, max_ids: int | None = None) -> list[np.ndarray]:
    """Row indices sorted by length, cut so each chunk pads to at most `max_ids` ids (SCORE_CHUNK_IDS by
    default; a row longer than that is a chunk of its own)."""
    max_ids = max_ids or SCORE_CHUNK_IDS
    order = np.argsort(lengths, kind="stable")
    ordered = lengths[order].astype(np.int64)
    out, start = [], 0
    while start < len(order):
        # rows start..end-1 pad to ordered[end-1]; the chunk is as long as (end - start) * that allows
        counts = np.arange(1, len(order) - start + 1)
        fits = counts * ordered[start:] <= max_ids
        end = start + max(1, int(np.argmin(fits)) if not fits.all() else len(fits))
        out.append(order[start:end])
        start = end
    return out


def score_rows(
    model: ScoringModel,
    ids: np.ndarray,
    lengths: np.ndarray,
    explain: bool = False,
    max_ids: int | None = None,
    parallel: int = 1,
) -> Scored:
    """Every row's outputs (and shares), chunk by chunk, `parallel` chunks at a time; `ids` right-padded
    (n, width)."""
    logits = np.empty(len(lengths), dtype=np.float64)
    stars = np.empty(len(lengths), dtype=np.float64) if model.rating_head else None
    shares: list[np.ndarray] | None = [np.empty(0)] * len(lengths) if explain else None

    def score(chunk: np.ndarray) -> None:
        chunk_lengths = lengths[chunk]
        chunk_ids = ids[chunk, : int(chunk_lengths.max())]
        if shares is not None:
            chunk_logits, chunk_stars, per_position = model.explained(chunk_ids, chunk_lengths)
            for row, values, n in zip(chunk.tolist(), per_position, chunk_lengths.tolist(), strict=True):
                shares[row] = values[:n]
        else:
            chunk_logits, chunk_stars = model.outputs(chunk_ids, chunk_lengths)
        logits[chunk] = chunk_logits
        if stars is not None and chunk_stars is not None:
            stars[chunk] = chunk_stars

    work = chunks(lengths, max_ids)
    if parallel > 1 and len(work) > 1:
        with ThreadPoolExecutor(min(parallel, len(work)), thread_name_prefix="score") as pool:
            list(pool.map(score, work))  # each chunk writes its own rows
    else:
        for chunk in work:
            score(chunk)
    return Scored(logits, stars, shares)


def calibrated(logits: np.ndarray, temperature: float) -> np.ndarray:
    """P(positive) of each logit after temperature scaling (the logistic function, through tanh: no
    overflow for any logit)."""
    return 0.5 * (1.0 + np.tanh(np.asarray(logits, dtype=np.float64) / (2.0 * temperature)))
