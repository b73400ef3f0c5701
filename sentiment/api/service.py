"""Scoring the reviews of a request (what the Lambda runs; pure Python, so the layer carries it).

Each review is tokenised with its character spans and encoded against the served model's word
dictionary; the rows go to the model endpoint unpadded, with their lengths (the server pads);
the per-position attributions that come back are mapped to the words of the original review.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentiment.api.request import Reviews, ServiceError, review_problem
from sentiment.core.errors import ConfigError
from sentiment.text.preprocess import Preprocessor, Token, preprocessor
from sentiment.text.vocab import WordDict

RESPONSE_BUDGET_BYTES = 6_000_000  # Lambda allows 6,291,456 for a synchronous result; headers need the rest


@dataclass(frozen=True)
class ServedModel:
    """What the API needs of the served model: its word dictionary and how many words it reads.

    The layer carries the model artifact's own `word_dict.json` and `config.json` (copied at build
    time), so the ids the Lambda sends are the ones the model was trained with.
    """

    word_dict: WordDict
    sequence_length: int
    preprocessor: Preprocessor

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
        return cls(word_dict, length, preprocessor(word_dict.preprocessor))  # refuses an unknown version


@dataclass(frozen=True)
class EncodedReview:
    """One review ready for the endpoint: ids (unpadded, at most the model's length) and its tokens."""

    review: str
    tokens: list[Token]
    ids: list[int]
    truncated: bool


def encode(review: str, word_dict: WordDict, length: int) -> EncodedReview:
    """Tokens with spans, and the ids the model reads (a review with no known word gets one unknown id),
    under the preprocessing version the dictionary was built with."""
    tokens = preprocessor(word_dict.preprocessor).tokenize(review)
    ids = word_dict.model_ids([t.stem for t in tokens], length)
    return EncodedReview(review, tokens, ids, len(tokens) > length)


def endpoint_request(items: Sequence[EncodedReview], vocab_sha256: str, explain: bool = True) -> bytes:
    """The JSON body the model endpoint takes (padded rows are not needed: rows may differ in width)."""
    instances = [{"length": len(item.ids), "ids": item.ids} for item in items]
    return json.dumps({"instances": instances, "explain": explain, "vocab_sha256": vocab_sha256}).encode()


def result(item: EncodedReview, prediction: dict[str, Any], model: dict[str, str]) -> dict[str, Any]:
    """The public result for one review: label, score, confidence, truncation, word explanations, and the
    star rating when the model gives one."""
    score = float(prediction["score"])
    weights = prediction.get("attributions") or []
    explanation = [
        {"word": item.review[t.start : t.end], "start": t.start, "end": t.end, "weight": round(float(w), 4)}
        for t, w in zip(item.tokens, weights, strict=False)
    ]
    answer = {
        "label": "POSITIVE" if score >= 0.5 else "NEGATIVE",
        "score": round(score, 4),
        "confidence": round(max(score, 1.0 - score), 4),
        "truncated": item.truncated,
        "explanation": explanation,
        "model": model,
    }
    if isinstance(prediction.get("rating"), int | float):
        answer["rating"] = round(min(max(float(prediction["rating"]), 1.0), 10.0), 1)
    return answer


def score_reviews(reviews: Reviews, word_dict: WordDict, length: int, invoke: Any) -> dict[str, Any]:
    """Score the reviews through `invoke(body) -> endpoint JSON`; one result, or results + errors."""
    items: list[EncodedReview] = []
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
    return within_response_limit({"results": results, "errors": errors})


def within_response_limit(answer: dict[str, Any]) -> dict[str, Any]:
    """The batch answer, without the explanations if with them it would pass Lambda's 6 MB limit for a
    synchronous answer (API Gateway would then answer 502 and lose everything): the body is a JSON
    string inside Lambda's JSON result, so it is measured escaped twice, as Lambda sends it."""
    if len(json.dumps(json.dumps(answer, separators=(",", ":")))) <= RESPONSE_BUDGET_BYTES:
        return answer
    for item in answer["results"]:
        item["explanation"] = []
    answer["explanations_omitted"] = (
        "with every word's weight this answer would pass Lambda's 6 MB response limit; "
        "send fewer or shorter reviews per request to get them"
    )
    return answer
