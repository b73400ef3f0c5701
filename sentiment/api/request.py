"""Requests to the public prediction API: limits, media types, parsing, and what makes a review unscorable.

`{"review": "..."}` (one result), `{"reviews": ["...", ...]}` (a batch: bad items are reported
and do not fail the others) or a `text/plain` body (one review). Every caller mistake is a
ServiceError with a 4xx status and a specific code.
"""

from __future__ import annotations

from dataclasses import dataclass

from sentiment.core import strict_json
from sentiment.core.errors import HttpError

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
        data = strict_json.loads(text)
    except strict_json.JSONError as exc:
        raise ServiceError(400, "malformed_json", f"the body {exc}") from None
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
