"""Preprocess many reviews at once: spread over processes, with a progress bar (data preparation,
batch scoring, benchmarks; the Lambda preprocesses one review at a time with `preprocess`)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial

from tqdm import tqdm

from sentiment.core.lifetime import child_of_this_process
from sentiment.text.preprocess import DEFAULT_VERSION, preprocessor


def reviews_to_words(
    reviews: Sequence[str], version: str = DEFAULT_VERSION, workers: int = 0, progress: str | None = None
) -> list[list[str]]:
    """The words of many reviews under preprocessing `version`, spread over `workers` processes
    (0: one per core). `progress` is the label of a progress bar, or None for none.
    """
    words_of = preprocessor(version).words
    workers = workers or os.cpu_count() or 1
    chunk = max(1, min(500, len(reviews) // (workers * 8) or 1))
    bar = tqdm(total=len(reviews), desc=progress, unit="review", disable=progress is None)
    with bar:
        if workers == 1 or len(reviews) < 2 * chunk:
            return [_tracked(words_of(r), bar) for r in reviews]
        # Each worker dies with this process, whatever ends it: forked workers hold each other's pipe ends,
        # so without this a SIGTERM or SIGKILL here left them waiting for work forever.
        with ProcessPoolExecutor(workers, initializer=child_of_this_process(signal.SIGKILL)) as pool:
            batches = [reviews[i : i + chunk] for i in range(0, len(reviews), chunk)]
            out: list[list[str]] = []
            for words in pool.map(partial(_words_of_batch, version), batches):
                out.extend(words)
                bar.update(len(words))
            return out


def _words_of_batch(version: str, reviews: Iterable[str]) -> list[list[str]]:
    words_of = preprocessor(version).words
    return [words_of(r) for r in reviews]


def _tracked(words: list[str], bar: object) -> list[str]:
    bar.update(1)  # type: ignore[attr-defined]
    return words
