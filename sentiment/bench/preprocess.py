"""Preprocessing speed: our path on all 50,000 labelled reviews vs the classic course-project path.

The classic `review_to_words` built a new PorterStemmer for every word and asked
`stopwords.words("english")` (which re-reads the word list file) for every word; it also
called `nltk.download` per review, a network round trip we cannot make here and leave out,
so the classic figure is flattering to it.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from bs4 import BeautifulSoup
from nltk.stem.porter import PorterStemmer

from sentiment.bench import machine_description
from sentiment.core.report import markdown_table
from sentiment.data import archive, storage
from sentiment.data.corpus import reviews_to_words
from sentiment.data.reviews import read_split
from sentiment.text.preprocess import CLASSIC, DEFAULT_VERSION, review_to_words, stem


def _classic_stopwords() -> list[str]:
    """What `nltk.corpus.stopwords.words("english")` does on every call: read the list file."""
    text = resources.files("sentiment.text").joinpath("stopwords_english.txt").read_text("utf-8")
    return [w for w in text.splitlines() if w and not w.startswith("#")]


def classic_review_to_words(review: str) -> list[str]:
    """The course project's preprocessing, as written there (minus the per-review download)."""
    text = BeautifulSoup(review, "html.parser").get_text()
    text = re.sub(r"[^a-zA-Z0-9]", " ", text.lower())
    words = text.split()
    words = [w for w in words if w not in _classic_stopwords()]
    return [PorterStemmer().stem(w) for w in words]


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def run(archive_path: str | None, classic_sample: int, output: str) -> str:
    root, _ = archive.prepare_root(archive_path)
    texts = [r.text for split in ("train", "test") for r in read_split(root, split)]

    started = time.perf_counter()
    reviews_to_words(texts, DEFAULT_VERSION, progress="ours, all reviews, all cores")
    full_seconds = time.perf_counter() - started

    sample = texts[:: max(1, len(texts) // classic_sample)][:classic_sample]
    started = time.perf_counter()
    for text in sample:
        review_to_words(text, DEFAULT_VERSION)
    ours_sample = time.perf_counter() - started
    stem.cache_clear()
    started = time.perf_counter()
    for text in sample:
        review_to_words(text, CLASSIC)
    ours_classic_sample = time.perf_counter() - started
    started = time.perf_counter()
    for text in sample:
        classic_review_to_words(text)
    classic_sample_seconds = time.perf_counter() - started

    classic_rate = _rate(len(sample), classic_sample_seconds)
    measured = [
        ("ours, all cores", len(texts), full_seconds),
        ("ours, 1 core (sample)", len(sample), ours_sample),
        ("ours, classic preprocessing, 1 core (sample)", len(sample), ours_classic_sample),
        ("classic, 1 core (sample)", len(sample), classic_sample_seconds),
    ]
    rows = [
        [name, n, round(seconds, 2), round(_rate(n, seconds)), f"{_rate(n, seconds) / classic_rate:.0f}x"]
        for name, n, seconds in measured
    ]
    table = markdown_table(["path", "reviews", "seconds", "reviews/s", "vs classic"], rows)
    est = len(texts) / classic_rate
    note = f"classic path on all {len(texts):,} reviews would take about {est:,.0f} s ({est / 60:.0f} min)"
    record = {
        "benchmark": "preprocess",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "rows": [dict(zip(["path", "reviews", "seconds", "reviews_per_s", "speedup"], r, strict=True)) for r in rows],
        "note": note,
    }
    Path(output).mkdir(parents=True, exist_ok=True)
    storage.write_text(Path(output) / "preprocess.json", json.dumps(record, indent=2))
    header = f"# Preprocessing benchmark\n\n{record['date']} on {record['machine']}\n\n"
    storage.write_text(Path(output) / "preprocess.md", header + table + f"\n\n{note}\n")
    return f"{table}\n\n{note}"
