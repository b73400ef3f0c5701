"""Preprocess many reviews at once: spread over processes, with a progress bar (data preparation,
batch scoring, benchmarks; the Lambda preprocesses one review at a time with `preprocess`)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

from tqdm import tqdm

from sentiment.text.preprocess import review_to_words


def reviews_to_words(reviews: Sequence[str], workers: int = 0, progress: str | None = None) -> list[list[str]]:
    """Stems of many reviews, spread over `workers` processes (0: one per core).

    `progress` is the label of a progress bar, or None for none.
    """
    workers = workers or os.cpu_count() or 1
    chunk = max(1, min(500, len(reviews) // (workers * 8) or 1))
    bar = tqdm(total=len(reviews), desc=progress, unit="review", disable=progress is None)
    with bar:
        if workers == 1 or len(reviews) < 2 * chunk:
            return [_tracked(review_to_words(r), bar) for r in reviews]
        with ProcessPoolExecutor(workers) as pool:
            batches = [reviews[i : i + chunk] for i in range(0, len(reviews), chunk)]
            out: list[list[str]] = []
            for words in pool.map(_words_of_batch, batches):
                out.extend(words)
                bar.update(len(words))
            return out


def _words_of_batch(reviews: Iterable[str]) -> list[list[str]]:
    return [review_to_words(r) for r in reviews]


def _tracked(words: list[str], bar: object) -> list[str]:
    bar.update(1)  # type: ignore[attr-defined]
    return words
