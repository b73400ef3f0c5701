"""A short load test (wrk) against the local stack: no errors under concurrency 32. `make bench`
runs the full 20,000 requests; here 1,500 with IMDB test reviews when the archive is present."""

from __future__ import annotations

import json
import shutil
import tarfile

import pytest

from sentiment.bench.stack import load_stack
from tests.conftest import NEGATIVE, POSITIVE, SHARED_ARCHIVE

pytestmark = pytest.mark.slow


def real_reviews(limit: int = 400) -> list[str]:
    """IMDB test reviews from the shared archive, else the fixtures' reviews."""
    if not SHARED_ARCHIVE.is_file():
        return POSITIVE + NEGATIVE
    reviews = []
    with tarfile.open(SHARED_ARCHIVE) as archive:
        for member in archive:
            if member.isfile() and member.name.startswith("aclImdb/test/") and member.name.endswith(".txt"):
                handle = archive.extractfile(member)
                if handle is not None:
                    reviews.append(handle.read().decode("utf-8"))
                if len(reviews) >= limit:
                    break
    return reviews


def test_the_stack_under_load_answers_everything(capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: apt-get install wrk (make test does it)")
    reviews = real_reviews()
    result = load_stack("model/artifact", reviews, requests=1_500, concurrency=32)
    with capsys.disabled():
        print(
            f"\n[load: {result.requests} requests, {result.throughput:.0f} req/s, p50 {result.p50_ms:.0f} ms, "
            f"p95 {result.p95_ms:.0f} ms, p99 {result.p99_ms:.0f} ms, {result.errors} errors]"
        )
    assert result.requests >= 1_500
    assert result.errors == 0
    assert all(len(json.dumps({"review": r})) < 100_000 for r in reviews)
