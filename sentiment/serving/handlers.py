"""SageMaker inference handler functions: model_fn, input_fn, predict_fn, output_fn.

Requests carry padded integer arrays (tokenisation happens in the Lambda layer):

- `application/json`: `{"instances": [{"length": 3, "ids": [12, 7, 40, 0, 0]}, ...],
  "explain": false, "vocab_sha256": "<hash of the caller's word dictionary>"}`
- `text/csv`: one `length,id_1,...,id_N` row per line (what Batch Transform sends); options
  come from SageMaker's custom attributes, e.g. `vocab_sha256=...;explain=true`.

Responses: JSON `{"model": {...}, "predictions": [{"score": 0.97, "attributions": [...]}, ...]}`
or, for `Accept: text/csv`, one score per line. Every caller mistake raises `EndpointError`
with the HTTP status and a message naming the row and the problem.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import mimeparse
import numpy as np

from sentiment.core import strict_json
from sentiment.core.errors import HttpError
from sentiment.scoring.chunks import ServableModel, calibrated, score_rows
from sentiment.scoring.graphs import GraphModel

JSON = "application/json"
CSV = "text/csv"
MAX_PAYLOAD_BYTES = 5 * 1024 * 1024  # under InvokeEndpoint's 6 MB request limit
MAX_ROWS = 5_000
MAX_EXPLAIN_ROWS = 500  # explanations cost a state per position: fewer rows per request
MAX_ROW_IDS = 10_000  # without a model at hand; the server passes the model's own sequence length
MAX_REQUEST_IDS = 1_000_000  # real (unpadded) ids per request: about 10 s of one worker, far under SageMaker's 60


class EndpointError(HttpError):
    """A request the model endpoint refuses."""


@dataclass(frozen=True)
class Batch:
    """Validated rows: ids (n, width) right-padded, lengths (n,), and request options."""

    ids: np.ndarray
    lengths: np.ndarray
    explain: bool = False
    vocab_sha256: str | None = None


@dataclass(frozen=True)
class Prediction:
    scores: np.ndarray
    attributions: list[list[float]] | None
    model: dict[str, str]
    stars: np.ndarray | None = None  # expected star ratings, for a model with a rating head


def model_fn(model_dir: str) -> GraphModel:
    """Load the artifact's graphs once; one ONNX Runtime thread per server worker (workers use the cores)."""
    return GraphModel.load(model_dir)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_attributes(attributes: str | None) -> dict[str, str]:
    """SageMaker custom attributes `key=value;key=value` as a dict."""
    pairs = (part.split("=", 1) for part in (attributes or "").split(";") if "=" in part)
    return {key.strip(): value.strip() for key, value in pairs}


@dataclass(frozen=True)
class RowLimits:
    """What a row may hold, checked while parsing, before anything sized by the request is allocated."""

    max_ids: int = MAX_ROW_IDS
    vocab_size: int = 2**31  # ids must be below this

    @classmethod
    def of(cls, model: ServableModel) -> RowLimits:
        return cls(model.sequence_length, model.vocab_size)


def input_fn(
    body: bytes | str, content_type: str | None, attributes: str | None = None, limits: RowLimits = RowLimits()
) -> Batch:
    """Parse and validate a request body; the model server passes the model's `limits` (the vocabulary
    hash and padding are checked against the model in `check_batch`)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise EndpointError(
            413, "payload_too_large", f"request body is {len(raw):,} bytes; the limit is {MAX_PAYLOAD_BYTES:,}"
        )
    media = _media_type(content_type)
    if media not in (JSON, CSV):
        raise EndpointError(
            415, "unsupported_media_type", f"content type {content_type!r} is not supported; use {JSON} or {CSV}"
        )
    options = parse_attributes(attributes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EndpointError(400, "bad_encoding", "request body is not UTF-8 text") from None
    if media == JSON:
        rows, explain, vocab = _json_rows(text, limits)
    else:
        rows, explain, vocab = _csv_rows(text, limits), False, None
    if not rows:
        raise EndpointError(400, "empty_request", "the request holds no rows")
    flag = options.get("explain", "false").lower()
    if flag not in ("true", "false"):
        raise EndpointError(
            400, "malformed_request", f"explain={flag[:20]!r} in the custom attributes: use true or false"
        )
    explain = explain or flag == "true"
    if explain and len(rows) > MAX_EXPLAIN_ROWS:
        message = f"explanations are given for at most {MAX_EXPLAIN_ROWS:,} rows per request, not {len(rows):,}"
        raise EndpointError(413, "too_many_rows_to_explain", message)
    return _to_batch(rows, explain, vocab or options.get("vocab_sha256") or None)  # body, else attributes; "" is none


_WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def _too_many_rows(count: int) -> EndpointError:
    return EndpointError(413, "too_many_rows", f"the request holds {count:,} rows; the limit is {MAX_ROWS:,}")


def _json_rows(text: str, limits: RowLimits) -> tuple[list[tuple[int, list[int]]], bool, str | None]:
    try:
        data = strict_json.loads(text)
    except strict_json.JSONError as exc:
        raise EndpointError(400, "malformed_json", f"request body {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("instances"), list):
        raise EndpointError(400, "malformed_request", 'JSON body must be an object with an "instances" list')
    unknown = sorted(set(data) - {"instances", "explain", "vocab_sha256"})
    if unknown:
        raise EndpointError(400, "malformed_request", f"unknown field {unknown[0]!r}")
    explain = data.get("explain", False)
    vocab = data.get("vocab_sha256")
    if not isinstance(explain, bool):
        raise EndpointError(400, "malformed_request", '"explain" must be true or false')
    if vocab is not None and not isinstance(vocab, str):
        raise EndpointError(400, "malformed_request", '"vocab_sha256" must be a string')
    if len(data["instances"]) > MAX_ROWS:
        raise _too_many_rows(len(data["instances"]))
    rows = []
    for i, item in enumerate(data["instances"]):
        if not isinstance(item, dict) or "ids" not in item or "length" not in item:
            raise EndpointError(400, "malformed_row", f'row {i}: expected an object with "length" and "ids"')
        length, ids = item["length"], item["ids"]
        if not isinstance(ids, list) or not all(type(x) is int for x in ids):
            raise EndpointError(400, "malformed_row", f"row {i}: ids must be a list of whole numbers")
        if type(length) is not int:
            raise EndpointError(400, "malformed_row", f"row {i}: length must be a whole number")
        rows.append((length, _checked_ids(i, ids, limits)))
    return rows, explain, vocab


def _csv_rows(text: str, limits: RowLimits) -> list[tuple[int, list[int]]]:
    # Lines end at \n (and \r\n) only, as Batch Transform splits them: str.splitlines would also split
    # on form feeds, \x85 or \u2028 inside a line and answer more rows than were sent.
    lines = [line.removesuffix("\r") for line in text.split("\n") if line.strip()]
    if len(lines) > MAX_ROWS:
        raise _too_many_rows(len(lines))
    rows = []
    for i, line in enumerate(lines):
        if line.count(",") > limits.max_ids:  # before converting (and allocating) anything
            _refuse_width(i, line.count(","), limits)
        cells = [cell.strip() for cell in line.split(",")]
        if not all(_WHOLE_NUMBER.fullmatch(cell) for cell in cells):  # int() would take "1_0", "+5", "٥"
            raise EndpointError(400, "malformed_row", f"row {i}: every value must be a whole number (ASCII digits)")
        if any(len(cell) > 19 for cell in cells):  # past any id or length, and int() refuses 4,300 digits
            raise EndpointError(400, "bad_ids", f"row {i}: a value has more digits than any id or length can")
        values = [int(cell) for cell in cells]
        if len(values) < 2:
            raise EndpointError(400, "malformed_row", f"row {i}: expected length,id_1,...,id_N")
        rows.append((values[0], _checked_ids(i, values[1:], limits)))
    return rows


def _refuse_width(row: int, width: int, limits: RowLimits) -> None:
    message = f"row {row}: rows have {width:,} ids; the model reads at most {limits.max_ids:,}"
    raise EndpointError(400, "row_too_long", message)


def _checked_ids(row: int, ids: list[int], limits: RowLimits) -> list[int]:
    """The ids, once their count and range are known to fit (Python ints of any size are refused here,
    before numpy could overflow)."""
    if len(ids) > limits.max_ids:
        _refuse_width(row, len(ids), limits)
    if ids and (min(ids) < 0 or max(ids) >= limits.vocab_size):
        raise EndpointError(400, "bad_ids", f"row {row}: ids must be in 0..{limits.vocab_size - 1}")
    return ids


def _to_batch(rows: list[tuple[int, list[int]]], explain: bool, vocab: str | None) -> Batch:
    total = sum(min(length, len(ids)) for length, ids in rows)
    if total > MAX_REQUEST_IDS:
        message = f"the rows hold {total:,} ids; the limit is {MAX_REQUEST_IDS:,} per request: send smaller batches"
        raise EndpointError(413, "too_many_ids", message)
    width = max(len(ids) for _, ids in rows)
    matrix = np.zeros((len(rows), max(width, 1)), dtype=np.int64)
    lengths = np.zeros(len(rows), dtype=np.int64)
    for i, (length, ids) in enumerate(rows):
        if not 1 <= length <= len(ids):
            raise EndpointError(400, "bad_length", f"row {i}: length {length} disagrees with the row's {len(ids)} ids")
        matrix[i, : len(ids)] = ids
        lengths[i] = length
    return Batch(matrix, lengths, explain, vocab)


def check_batch(batch: Batch, model: ServableModel) -> None:
    """Refuse rows this model cannot score: another vocabulary, unknown ids, bad padding, too long."""
    expected = model.vocab_sha256
    if batch.vocab_sha256 is not None and batch.vocab_sha256 != expected:
        raise EndpointError(
            409,
            "vocabulary_mismatch",
            f"the request was encoded with word dictionary {batch.vocab_sha256[:12]}, this model uses "
            f"{expected[:12]}: update the preprocessing layer to the model's word_dict.json",
        )
    ids, lengths = batch.ids, batch.lengths
    if ids.shape[1] > model.sequence_length:
        raise EndpointError(
            400, "row_too_long", f"rows have {ids.shape[1]} ids; the model reads at most {model.sequence_length}"
        )
    real = np.arange(ids.shape[1])[None, :] < lengths[:, None]
    problems = [
        ((ids < 0) | (ids >= model.vocab_size), f"ids must be in 0..{model.vocab_size - 1}"),
        (real & (ids == 0), "padding id 0 appears before the row's length"),
        (~real & (ids != 0), "ids after the row's length must be padding (0)"),
    ]
    for bad, rule in problems:
        rows = np.flatnonzero(bad.any(axis=1))
        if rows.size:
            raise EndpointError(400, "bad_ids", f"row {int(rows[0])}: {rule}")


def predict_fn(batch: Batch, model: ServableModel) -> Prediction:
    """Scores (and attributions) of every row, in length-sorted chunks of bounded padded size
    (sentiment.scoring.chunks), so one request's memory stays bounded whatever its shape."""
    check_batch(batch, model)
    scored = score_rows(model, batch.ids, batch.lengths, explain=batch.explain)
    shares = [values.tolist() for values in scored.shares] if scored.shares is not None else None
    about = {"name": model.name, "version": model.version}
    return Prediction(calibrated(scored.logits, model.temperature), shares, about, scored.stars)


def negotiate(accept: str | None) -> str:
    """The media type to answer in for an Accept header (q-values and wildcards as RFC 9110 says;
    JSON when both are equally acceptable or no Accept is given); 406 when neither is acceptable."""
    if not accept or not accept.strip():
        return JSON
    try:
        chosen = mimeparse.best_match([CSV, JSON], accept.lower())  # media types are case-insensitive; JSON wins ties
    except (ValueError, IndexError):
        chosen = ""
    if not chosen:
        raise EndpointError(406, "not_acceptable", f"cannot answer in {accept[:100]!r}; accept {JSON} or {CSV}")
    return str(chosen)


def output_fn(prediction: Prediction, accept: str | None) -> tuple[bytes, str]:
    media = negotiate(accept)
    if media == CSV:
        return "".join(f"{s:.6f}\n" for s in prediction.scores).encode(), CSV
    predictions: list[dict[str, Any]] = [{"score": round(float(s), 6)} for s in prediction.scores]
    if prediction.stars is not None:
        for item, stars in zip(predictions, prediction.stars, strict=True):
            item["rating"] = round(float(stars), 3)
    if prediction.attributions is not None:
        for item, values in zip(predictions, prediction.attributions, strict=True):
            item["attributions"] = [round(v, 5) for v in values]
    return json.dumps({"model": prediction.model, "predictions": predictions}).encode(), JSON
