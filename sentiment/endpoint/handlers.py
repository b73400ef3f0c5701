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
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import config
from ..artifact import Artifact, load
from ..errors import HttpError
from ..explain import attributions
from ..inference import calibrated

JSON = "application/json"
CSV = "text/csv"
MAX_PAYLOAD_BYTES = 5 * 1024 * 1024  # under InvokeEndpoint's 6 MB request limit
MAX_ROWS = 5_000


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


def model_fn(model_dir: str) -> Artifact:
    """Load the artifact once; one torch thread per server worker (workers use the cores)."""
    torch.set_num_threads(int(os.environ.get(config.ENV_TORCH_THREADS, "1")))
    return load(model_dir)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_attributes(attributes: str | None) -> dict[str, str]:
    """SageMaker custom attributes `key=value;key=value` as a dict."""
    pairs = (part.split("=", 1) for part in (attributes or "").split(";") if "=" in part)
    return {key.strip(): value.strip() for key, value in pairs}


def input_fn(body: bytes | str, content_type: str | None, attributes: str | None = None) -> Batch:
    """Parse and validate a request body (the vocabulary check needs the model: see `check_batch`)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise EndpointError(
            413, "payload_too_large", f"request body is {len(raw):,} bytes; the limit is {MAX_PAYLOAD_BYTES:,}"
        )
    media = _media_type(content_type)
    options = parse_attributes(attributes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EndpointError(400, "bad_encoding", "request body is not UTF-8 text") from None
    if media == JSON:
        rows, explain, vocab = _json_rows(text)
    elif media == CSV:
        rows = _csv_rows(text)
        explain, vocab = False, None
    else:
        raise EndpointError(
            415, "unsupported_media_type", f"content type {content_type!r} is not supported; use {JSON} or {CSV}"
        )
    if not rows:
        raise EndpointError(400, "empty_request", "the request holds no rows")
    if len(rows) > MAX_ROWS:
        raise EndpointError(413, "too_many_rows", f"the request holds {len(rows):,} rows; the limit is {MAX_ROWS:,}")
    return _to_batch(
        rows,
        explain or options.get("explain", "").lower() == "true",
        vocab or options.get("vocab_sha256"),  # body, else attributes
    )


def _json_rows(text: str) -> tuple[list[tuple[Any, Any]], bool, str | None]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EndpointError(400, "malformed_json", f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("instances"), list):
        raise EndpointError(400, "malformed_request", 'JSON body must be an object with an "instances" list')
    explain = data.get("explain", False)
    vocab = data.get("vocab_sha256")
    if not isinstance(explain, bool):
        raise EndpointError(400, "malformed_request", '"explain" must be true or false')
    if vocab is not None and not isinstance(vocab, str):
        raise EndpointError(400, "malformed_request", '"vocab_sha256" must be a string')
    rows = []
    for i, item in enumerate(data["instances"]):
        if not isinstance(item, dict) or "ids" not in item or "length" not in item:
            raise EndpointError(400, "malformed_row", f'row {i}: expected an object with "length" and "ids"')
        rows.append((item["length"], item["ids"]))
    return rows, explain, vocab


def _csv_rows(text: str) -> list[tuple[Any, Any]]:
    rows = []
    for i, line in enumerate(line for line in text.splitlines() if line.strip()):
        cells = line.split(",")
        try:
            values = [int(c) for c in cells]
        except ValueError:
            raise EndpointError(400, "malformed_row", f"row {i}: every value must be a whole number") from None
        if len(values) < 2:
            raise EndpointError(400, "malformed_row", f"row {i}: expected length,id_1,...,id_N")
        rows.append((values[0], values[1:]))
    return rows


def _to_batch(rows: list[tuple[Any, Any]], explain: bool, vocab: str | None) -> Batch:
    width = 0
    for i, (length, ids) in enumerate(rows):
        if not isinstance(ids, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in ids):
            raise EndpointError(400, "malformed_row", f"row {i}: ids must be a list of whole numbers")
        if not isinstance(length, int) or isinstance(length, bool):
            raise EndpointError(400, "malformed_row", f"row {i}: length must be a whole number")
        width = max(width, len(ids))
    matrix = np.zeros((len(rows), max(width, 1)), dtype=np.int64)
    lengths = np.zeros(len(rows), dtype=np.int64)
    for i, (length, ids) in enumerate(rows):
        if not 1 <= length <= len(ids):
            raise EndpointError(400, "bad_length", f"row {i}: length {length} disagrees with the row's {len(ids)} ids")
        matrix[i, : len(ids)] = ids
        lengths[i] = length
    return Batch(matrix, lengths, explain, vocab)


def check_batch(batch: Batch, model: Artifact) -> None:
    """Refuse rows this model cannot score: another vocabulary, unknown ids, bad padding, too long."""
    expected = model.word_dict.sha256
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
        ((ids < 0) | (ids >= model.word_dict.size), f"ids must be in 0..{model.word_dict.size - 1}"),
        (real & (ids == 0), "padding id 0 appears before the row's length"),
        (~real & (ids != 0), "ids after the row's length must be padding (0)"),
    ]
    for bad, rule in problems:
        rows = np.flatnonzero(bad.any(axis=1))
        if rows.size:
            raise EndpointError(400, "bad_ids", f"row {int(rows[0])}: {rule}")


def predict_fn(batch: Batch, model: Artifact) -> Prediction:
    check_batch(batch, model)
    ids, lengths = torch.from_numpy(batch.ids), torch.from_numpy(batch.lengths)
    if batch.explain:
        logits, per_position = attributions(model.model, ids, lengths)
        explained = [row[:n].tolist() for row, n in zip(per_position.numpy(), batch.lengths, strict=True)]
    else:
        with torch.inference_mode():
            logits = model.model(ids, lengths)
        explained = None
    scores = calibrated(logits.double().numpy(), model.temperature)
    return Prediction(scores, explained, {"name": model.name, "version": model.version})


def output_fn(prediction: Prediction, accept: str | None) -> tuple[bytes, str]:
    media = _media_type(accept)
    if media == CSV:
        return "".join(f"{s:.6f}\n" for s in prediction.scores).encode(), CSV
    if media not in (JSON, "", "*/*", "application/*"):
        raise EndpointError(406, "not_acceptable", f"cannot answer in {accept!r}; use {JSON} or {CSV}")
    predictions: list[dict[str, Any]] = [{"score": round(float(s), 6)} for s in prediction.scores]
    if prediction.attributions is not None:
        for item, values in zip(predictions, prediction.attributions, strict=True):
            item["attributions"] = [round(v, 5) for v in values]
    return json.dumps({"model": prediction.model, "predictions": predictions}).encode(), JSON
