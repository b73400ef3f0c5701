"""`sentiment batch INPUT OUTPUT`: score a file of reviews end to end (preprocess, encode, model).

Input: plain text (one review per line), CSV with a text column, or JSONL (objects with a text
field, or JSON strings). Output (by extension): CSV or JSONL with one row per input line:
`line,label,score,confidence,truncated,error`. A bad line gets its error and the run goes on.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from sentiment.core.errors import ConfigError, DataError
from sentiment.data import storage
from sentiment.data.corpus import reviews_to_words
from sentiment.model.artifact import Artifact
from sentiment.model.text_scorer import TextScorer

TEXT_COLUMNS = ("review", "text")
MAX_REVIEW_CHARS = 100_000
CHUNK = 2_000


@dataclass
class Line:
    number: int
    text: str | None
    error: str | None = None


@dataclass
class BatchSummary:
    lines: int
    scored: int
    failed: int
    seconds: float
    output: str

    def __str__(self) -> str:
        rate = self.scored / self.seconds if self.seconds else 0.0
        return (
            f"scored {self.scored:,} of {self.lines:,} lines ({self.failed:,} with errors) in {self.seconds:.1f} s "
            f"({rate:,.0f} reviews/s) -> {self.output}"
        )


def _check(number: int, text: object) -> Line:
    if not isinstance(text, str):
        return Line(number, None, "no review text on this line")
    if not text.strip():
        return Line(number, None, "empty review")
    if len(text) > MAX_REVIEW_CHARS:
        return Line(number, None, f"review is {len(text):,} characters; the limit is {MAX_REVIEW_CHARS:,}")
    return Line(number, text)


def read_lines(path: Path, text_column: str | None = None) -> Iterator[Line]:
    """Reviews of a .txt, .csv or .jsonl file, numbered from 1 (CSV: data rows after the header)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"input file not found: {path}") from None
    text = raw.decode("utf-8", errors="replace")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = reader.fieldnames or []
        column = text_column or next((c for c in TEXT_COLUMNS if c in columns), None)
        if column is None or column not in columns:
            wanted = text_column or " or ".join(TEXT_COLUMNS)
            raise DataError(f"{path}: no column {wanted!r} (columns: {', '.join(columns) or 'none'})")
        for number, row in enumerate(reader, 1):
            yield _check(number, row.get(column))
    elif suffix in (".jsonl", ".ndjson"):
        for number, line in enumerate(_lines(text), 1):
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Line(number, None, f"not valid JSON: {exc.msg}")
                continue
            value = (
                item
                if isinstance(item, str)
                else next((item.get(c) for c in TEXT_COLUMNS if isinstance(item, dict) and c in item), None)
            )
            yield _check(number, value)
    else:
        for number, line in enumerate(_lines(text), 1):
            yield _check(number, line)


def _lines(text: str) -> list[str]:
    """Lines ended by \n or \r\n only (str.splitlines would also split on \x85, \u2028, form feeds...)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _score(scorer: TextScorer, texts: list[str], workers: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and truncation flags; preprocessing spread over processes for large chunks."""
    artifact = scorer.artifact
    docs = reviews_to_words(texts, workers=workers if len(texts) >= 500 else 1)
    truncated = np.array([len(d) > artifact.sequence_length for d in docs])
    return scorer.scores_of_encoded(scorer.encode_docs(docs)), truncated


def score_file(
    artifact: Artifact,
    source: str,
    destination: str,
    text_column: str | None = None,
    workers: int = 0,
    progress: bool = True,
) -> BatchSummary:
    """Score every line of `source` into `destination` (.csv or .jsonl; local or s3://)."""
    out_suffix = Path(destination).suffix.lower()
    if out_suffix not in (".csv", ".jsonl"):
        raise ConfigError(f"output must end in .csv or .jsonl, got {destination!r}")
    started = time.perf_counter()
    lines = list(read_lines(Path(source), text_column))
    scorer = TextScorer(artifact)
    results: list[dict[str, object]] = []
    good = [line for line in lines if line.error is None]
    scored: dict[int, tuple[float, bool]] = {}
    with tqdm(total=len(good), desc="score", unit="review", disable=not progress) as bar:
        for start in range(0, len(good), CHUNK):
            chunk = good[start : start + CHUNK]
            scores, truncated = _score(scorer, [line.text or "" for line in chunk], workers)
            scored.update(
                {line.number: (float(s), bool(t)) for line, s, t in zip(chunk, scores, truncated, strict=True)}
            )
            bar.update(len(chunk))
    for line in lines:
        if line.number in scored:
            score, was_cut = scored[line.number]
            results.append(
                {
                    "line": line.number,
                    "label": "POSITIVE" if score >= 0.5 else "NEGATIVE",
                    "score": round(score, 6),
                    "confidence": round(max(score, 1 - score), 6),
                    "truncated": was_cut,
                    "error": "",
                }
            )
        else:
            results.append(
                {"line": line.number, "label": "", "score": "", "confidence": "", "truncated": "", "error": line.error}
            )
    storage.write_text(destination, _format(results, out_suffix))
    return BatchSummary(len(lines), len(scored), len(lines) - len(scored), time.perf_counter() - started, destination)


def _format(results: list[dict[str, object]], suffix: str) -> str:
    if suffix == ".jsonl":
        return "".join(json.dumps({k: v for k, v in r.items() if v != ""}) + "\n" for r in results)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["line", "label", "score", "confidence", "truncated", "error"])
    writer.writeheader()
    writer.writerows(results)
    return buffer.getvalue()
