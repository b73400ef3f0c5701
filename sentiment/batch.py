"""`sentiment batch INPUT OUTPUT`: score a file of reviews end to end (preprocess, encode, model).

Input: plain text (one review per line), CSV with a text column, or JSONL (objects with a text
field, or JSON strings). Output (by extension): CSV or JSONL with one row per input line:
`line,label,score,confidence,stars,truncated,error` (`stars` when the model rates). A bad line
gets its error (not UTF-8, NUL bytes, mostly control characters, too long, not JSON, nested too
deeply...) and the run goes on; a bad path (missing, a folder, the output over the input, an
output folder that cannot exist) is one line and exit status 2 before anything is read.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from sentiment.core.errors import ConfigError, DataError
from sentiment.data import storage
from sentiment.data.corpus import reviews_to_words
from sentiment.scoring.text_scorer import TextModel, TextScorer

TEXT_COLUMNS = ("review", "text")
MAX_REVIEW_CHARS = 100_000
MAX_INPUT_BYTES = 1 << 30  # 1 GiB of reviews per run: read whole, so bounded
MAX_CONTROL_SHARE = 0.3  # a line with more control characters than this is not text
CHUNK = 2_000
OUTPUT_FIELDS = ["line", "label", "score", "confidence", "stars", "truncated", "error"]
csv.field_size_limit(sys.maxsize)  # a long field is a per-line error below, not a crash of the reader


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


def printable(text: str, limit: int = 60) -> str:
    """`text` safe to print on a terminal: control characters escaped, cut to `limit`."""
    shown = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text[:limit])
    return shown + ("…" if len(text) > limit else "")


def _check(number: int, text: object) -> Line:
    if not isinstance(text, str):
        return Line(number, None, "no review text on this line")
    if any("\udc80" <= c <= "\udcff" for c in text):  # bytes that were not UTF-8 (surrogateescape)
        return Line(number, None, "not UTF-8 text")
    if "\x00" in text:
        return Line(number, None, "holds NUL bytes: not text")
    if len(text) > MAX_REVIEW_CHARS:
        return Line(number, None, f"review is {len(text):,} characters; the limit is {MAX_REVIEW_CHARS:,}")
    if not text.strip():
        return Line(number, None, "empty review")
    control = sum(1 for c in text if unicodedata.category(c) in ("Cc", "Cf", "Co", "Cn") and c not in "\t\r\n")
    if control > MAX_CONTROL_SHARE * len(text):
        return Line(number, None, "mostly control characters: not text")
    return Line(number, text)


def read_lines(path: Path, text_column: str | None = None) -> Iterator[Line]:
    """Reviews of a .txt, .csv or .jsonl file, numbered from 1 (CSV: data rows after the header); a UTF-8
    byte-order mark (as spreadsheets write one) is not part of the first line."""
    raw = storage.read_bounded(path, MAX_INPUT_BYTES, what="input")
    text = raw.decode("utf-8", errors="surrogateescape")  # bad bytes fail their own line only
    text = text.removeprefix("\ufeff")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _csv_lines(path, text, text_column)
    elif suffix in (".jsonl", ".ndjson"):
        yield from _jsonl_lines(text, text_column)
    else:
        for number, line in enumerate(_lines(text), 1):
            yield _check(number, line)


def _csv_lines(path: Path, text: str, text_column: str | None) -> Iterator[Line]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
    except csv.Error as exc:
        raise DataError(f"{path}: the header is not CSV ({exc})") from None
    column = text_column or next((c for c in TEXT_COLUMNS if c in header), None)
    if column is None or column not in header:
        wanted = printable(text_column or " or ".join(TEXT_COLUMNS))
        columns = ", ".join(printable(c, 30) for c in header[:20]) or "none"
        raise DataError(f"{path}: no column {wanted!r} (columns: {columns})")
    where = header.index(column)
    number = 0
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Line(number, None, f"not a CSV row: {exc}")
            continue
        yield _check(number, row[where] if where < len(row) else None)


def _jsonl_lines(text: str, text_column: str | None = None) -> Iterator[Line]:
    for number, line in enumerate(_lines(text), 1):
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Line(number, None, f"not valid JSON: {exc.msg}")
            continue
        except RecursionError:
            yield Line(number, None, "JSON nested too deeply")
            continue
        except ValueError:  # a number of more than 4,300 digits; undecodable bytes
            yield Line(number, None, "JSON that cannot be read (a huge number, or not UTF-8)")
            continue
        if isinstance(item, dict):
            item = next((item[c] for c in ((text_column,) if text_column else TEXT_COLUMNS) if c in item), None)
        yield _check(number, item)


def _lines(text: str) -> list[str]:
    """Lines ended by \n or \r\n only (str.splitlines would also split on \x85, \u2028, form feeds...)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def check_paths(source: str, destination: str) -> None:
    """One clear error for paths that cannot work, before anything is read or scored."""
    out_suffix = Path(destination).suffix.lower()
    if out_suffix not in (".csv", ".jsonl"):
        raise ConfigError(f"output must end in .csv or .jsonl, got {printable(destination)!r}")
    if storage.is_s3(destination):
        return
    output, source_path = Path(destination), Path(source)
    if output.is_dir():
        raise ConfigError(f"output {destination} is a folder: give a file name ending in {out_suffix}")
    if source_path.exists() and output.exists() and output.resolve() == source_path.resolve():
        raise ConfigError(f"output {destination} is the input: scoring would overwrite the reviews")
    for parent in output.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"output {destination} cannot be written: {parent} is a file, not a folder")
            break


def _score(scorer: TextScorer, texts: list[str], workers: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Scores, stars (when the model rates) and truncation flags; preprocessing spread over processes
    for large chunks."""
    model = scorer.model
    docs = reviews_to_words(texts, model.word_dict.preprocessor, workers if len(texts) >= 500 else 1)
    truncated = np.array([len(d) > model.sequence_length for d in docs])
    scores, stars = scorer.score_encoded(scorer.encode_docs(docs))
    return scores, stars, truncated


def score_file(
    model: TextModel,
    source: str,
    destination: str,
    text_column: str | None = None,
    workers: int = 0,
    progress: bool = True,
) -> BatchSummary:
    """Score every line of `source` into `destination` (.csv or .jsonl; local or s3://)."""
    check_paths(source, destination)
    started = time.perf_counter()
    lines = list(read_lines(Path(source), text_column))
    scorer = TextScorer(model, parallel=workers or os.cpu_count() or 1)
    good = [line for line in lines if line.error is None]
    scored: dict[int, dict[str, object]] = {}
    with tqdm(total=len(good), desc="score", unit="review", disable=not progress) as bar:
        for start in range(0, len(good), CHUNK):
            chunk = good[start : start + CHUNK]
            scores, stars, truncated = _score(scorer, [line.text or "" for line in chunk], workers)
            for i, line in enumerate(chunk):
                score = float(scores[i])
                scored[line.number] = {
                    "label": "POSITIVE" if score >= 0.5 else "NEGATIVE",
                    "score": round(score, 6),
                    "confidence": round(max(score, 1 - score), 6),
                    "stars": round(float(stars[i]), 2) if stars is not None else "",
                    "truncated": bool(truncated[i]),
                    "error": "",
                }
            bar.update(len(chunk))
    empty = dict.fromkeys(OUTPUT_FIELDS[1:], "")
    results = [{"line": line.number, **scored.get(line.number, {**empty, "error": line.error})} for line in lines]
    storage.write_text(destination, _format(results, Path(destination).suffix.lower()))
    return BatchSummary(len(lines), len(scored), len(lines) - len(scored), time.perf_counter() - started, destination)


def _format(results: list[dict[str, object]], suffix: str) -> str:
    if suffix == ".jsonl":
        return "".join(json.dumps({k: v for k, v in r.items() if v != ""}) + "\n" for r in results)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=OUTPUT_FIELDS)
    writer.writeheader()
    writer.writerows(results)
    return buffer.getvalue()
