"""The public prediction service (what the Lambda runs; torch-free, so the layer can carry it).

Request: `{"review": "..."}` (one result), `{"reviews": ["...", ...]}` (a batch: bad items are
reported in `errors` and do not fail the others) or a `text/plain` body (one review).
Each review is tokenised with its character spans, encoded against the word dictionary and sent
to the model endpoint as padded id rows; the per-position attributions that come back are
mapped to the words of the original review.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, HttpError
from .preprocess import Token, tokenize
from .vocab import WordDict

MAX_REVIEW_BYTES = 20_000
MAX_BATCH_REVIEWS = 100
MAX_BODY_BYTES = 1_000_000
LIMITS = {
    "max_review_bytes": MAX_REVIEW_BYTES,
    "max_batch_reviews": MAX_BATCH_REVIEWS,
    "max_body_bytes": MAX_BODY_BYTES,
}
JSON = "application/json"
TEXT = "text/plain"


class ServiceError(HttpError):
    """A request the public prediction API refuses."""


@dataclass(frozen=True)
class ServedModel:
    """What the API needs of the served model: its word dictionary and how many words it reads.

    The layer carries the model artifact's own `word_dict.json` and `config.json` (copied at build
    time), so the ids the Lambda sends are the ones the model was trained with.
    """

    word_dict: WordDict
    sequence_length: int

    @classmethod
    def load(cls, folder: str | Path) -> ServedModel:
        folder = Path(folder)
        try:
            settings = json.loads((folder / "config.json").read_text(encoding="utf-8"))["preprocessing"]
            length = int(settings["sequence_length"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problem = f"{folder / 'config.json'} does not hold the model's preprocessing settings: {exc}"
            raise ConfigError(problem) from exc
        word_dict = WordDict.load(folder / "word_dict.json")
        if settings.get("vocab_sha256") not in (None, word_dict.sha256):
            raise ConfigError(f"{folder}: word_dict.json is not the dictionary config.json names")
        return cls(word_dict, length)


@dataclass(frozen=True)
class Reviews:
    texts: list[str]
    batch: bool


def parse_request(body: str | bytes | None, content_type: str | None) -> Reviews:
    """The reviews in a request body; ServiceError (400/413/415) for the caller's mistakes."""
    raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    if len(raw) > MAX_BODY_BYTES:
        raise ServiceError(
            413, "body_too_large", f"request body is {len(raw):,} bytes; the limit is {MAX_BODY_BYTES:,}"
        )
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in (JSON, TEXT):
        raise ServiceError(415, "unsupported_media_type", f"send {JSON} or {TEXT}, not {content_type or 'nothing'!r}")
    if not raw.strip():
        raise ServiceError(400, "empty_body", 'the request body is empty; send {"review": "..."}')
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ServiceError(400, "bad_encoding", "the request body is not UTF-8 text") from None
    if media == TEXT:
        return Reviews([text], batch=False)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ServiceError(400, "malformed_json", f"the body is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or ("review" in data) == ("reviews" in data):
        raise ServiceError(400, "malformed_request", 'send an object with "review" (a string) or "reviews" (a list)')
    unknown = sorted(set(data) - {"review", "reviews"})
    if unknown:
        raise ServiceError(400, "unknown_field", f'unknown field {unknown[0]!r}: send only "review" or "reviews"')
    if "review" in data:
        if not isinstance(data["review"], str):
            raise ServiceError(400, "malformed_request", '"review" must be a string')
        return Reviews([data["review"]], batch=False)
    reviews = data["reviews"]
    if not isinstance(reviews, list) or not reviews:
        raise ServiceError(400, "malformed_request", '"reviews" must be a non-empty list of strings')
    if len(reviews) > MAX_BATCH_REVIEWS:
        raise ServiceError(
            413, "too_many_reviews", f"{len(reviews)} reviews; the limit is {MAX_BATCH_REVIEWS} per request"
        )
    return Reviews([r if isinstance(r, str) else None for r in reviews], batch=True)  # type: ignore[misc]


def review_problem(review: str | None) -> ServiceError | None:
    """Why one review cannot be scored, or None."""
    if not isinstance(review, str):
        return ServiceError(400, "not_a_string", "each review must be a string")
    if not review.strip():
        return ServiceError(400, "empty_review", "the review is empty")
    size = len(review.encode("utf-8", errors="surrogatepass"))
    if size > MAX_REVIEW_BYTES:
        return ServiceError(413, "review_too_long", f"the review is {size:,} bytes; the limit is {MAX_REVIEW_BYTES:,}")
    return None


@dataclass(frozen=True)
class Encoded:
    """One review ready for the endpoint: ids (unpadded, at most the model's length) and its tokens."""

    review: str
    tokens: list[Token]
    ids: list[int]
    truncated: bool


def encode(review: str, word_dict: WordDict, length: int) -> Encoded:
    """Tokens with spans, and the ids the model reads (a review with no known word gets one unknown id)."""
    tokens = tokenize(review)
    ids = word_dict.model_ids([t.stem for t in tokens], length)
    return Encoded(review, tokens, ids, len(tokens) > length)


def endpoint_request(items: Sequence[Encoded], vocab_sha256: str, explain: bool = True) -> bytes:
    """The JSON body the model endpoint takes (padded rows are not needed: rows may differ in width)."""
    instances = [{"length": len(item.ids), "ids": item.ids} for item in items]
    return json.dumps({"instances": instances, "explain": explain, "vocab_sha256": vocab_sha256}).encode()


def result(item: Encoded, prediction: dict[str, Any], model: dict[str, str]) -> dict[str, Any]:
    """The public result for one review: label, score, confidence, truncation, word explanations."""
    score = float(prediction["score"])
    weights = prediction.get("attributions") or []
    explanation = [
        {"word": item.review[t.start : t.end], "start": t.start, "end": t.end, "weight": round(float(w), 4)}
        for t, w in zip(item.tokens, weights, strict=False)
    ]
    return {
        "label": "POSITIVE" if score >= 0.5 else "NEGATIVE",
        "score": round(score, 4),
        "confidence": round(max(score, 1.0 - score), 4),
        "truncated": item.truncated,
        "explanation": explanation,
        "model": model,
    }


def predict(reviews: Reviews, word_dict: WordDict, length: int, invoke: Any) -> dict[str, Any]:
    """Score the reviews through `invoke(body) -> endpoint JSON`; one result, or results + errors."""
    items: list[Encoded] = []
    places: list[int] = []
    errors: list[dict[str, Any]] = []
    for index, review in enumerate(reviews.texts):
        problem = review_problem(review)
        if problem and not reviews.batch:
            raise problem
        if problem:
            errors.append({"index": index, "code": problem.code, "message": problem.message})
            continue
        items.append(encode(review, word_dict, length))
        places.append(index)
    results: list[dict[str, Any]] = []
    if items:
        answer = invoke(endpoint_request(items, word_dict.sha256))
        predictions = answer["predictions"]
        if len(predictions) != len(items):
            raise ServiceError(502, "bad_model_response", "the model answered for a different number of reviews")
        model = {**answer.get("model", {}), "variant": answer.get("variant")}
        results = [
            {"index": place, **result(item, prediction, model)}
            for place, item, prediction in zip(places, items, predictions, strict=True)
        ]
    if not reviews.batch:
        single = results[0]
        single.pop("index")
        return single
    return {"results": results, "errors": errors}
