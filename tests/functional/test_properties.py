"""Property-based tests (hypothesis): any unicode text, through the preprocessor, the encoder and the
whole prediction path with the real endpoint handlers, gives valid ids or a documented error."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentiment.api import request, service
from sentiment.scoring.encoding import encode
from sentiment.serving.handlers import input_fn, model_fn, output_fn, predict_fn
from sentiment.text.markup import BOUNDARY, visible_text
from sentiment.text.preprocess import WORDS, tokenize
from sentiment.text.vocab import PAD_ID, WordDict

# Every code point class, lone surrogates and controls included, mixed with words the model knows.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=400)
KNOWN = st.sampled_from(
    [
        "w2",
        "w3",
        "w12",
        "w15",
        "great",
        "not",
        "<br />",
        "&amp;",
        "😀",
        "\u0000",
        "\ud800",
        "caf&eacute;",
        "&#x41;wful",
        "<i>",
        "</i>",
        "&#128512;",
        "didn't",
        "it’s",
        "&",
        "<",
        "!",
    ]
)
REVIEW = st.lists(st.one_of(ANY_TEXT, KNOWN), max_size=30).map(" ".join)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> Any:
    return model_fn(str(tiny_model_dir))


@SETTINGS
@given(REVIEW)
def test_tokens_point_into_the_review_in_order(review: str) -> None:
    tokens = tokenize(review)
    end = 0
    for token in tokens:
        assert end <= token.start < token.end <= len(review)
        assert token.stem and isinstance(token.stem, str)
        end = token.end


@SETTINGS
@given(REVIEW, st.integers(1, 50))
def test_encoding_gives_fixed_length_valid_ids(model: Any, review: str, length: int) -> None:
    word_dict: WordDict = model.word_dict
    stems = [t.stem for t in tokenize(review, word_dict.preprocessor)]
    encoded = encode(word_dict, stems, length)
    assert encoded.ids.shape == (length,) and 0 <= encoded.length <= length
    assert all(0 <= i < word_dict.size for i in encoded.ids.tolist())
    assert all(i == PAD_ID for i in encoded.ids[encoded.length :].tolist())
    item = service.encode(review, word_dict, length)
    assert 1 <= len(item.ids) <= length and PAD_ID not in item.ids
    assert item.truncated == (len(stems) > length)


def _endpoint(model: Any) -> Any:
    """The real endpoint handler chain, in process."""

    def invoke(body: bytes) -> dict[str, Any]:
        payload, _ = output_fn(predict_fn(input_fn(body, "application/json"), model), "application/json")
        return json.loads(payload)  # type: ignore[no-any-return]

    return invoke


@SETTINGS
@given(st.one_of(REVIEW, st.lists(st.one_of(REVIEW, st.integers(), st.none()), min_size=1, max_size=5)))
def test_any_review_is_scored_or_refused_with_a_documented_error(model: Any, reviews: str | list[Any]) -> None:
    key = "review" if isinstance(reviews, str) else "reviews"
    body = json.dumps({key: reviews})
    try:
        answer = service.score_reviews(
            request.parse_request(body, "application/json"), model.word_dict, model.sequence_length, _endpoint(model)
        )
    except request.ServiceError as refused:
        assert refused.status in (400, 413) and refused.code in ("empty_review", "review_too_long")
        return
    results = [answer] if key == "review" else answer["results"]
    for result in results:
        assert 0.0 <= result["score"] <= 1.0 and result["label"] in ("POSITIVE", "NEGATIVE")
        text = reviews if key == "review" else reviews[result["index"]]
        assert all(text[w["start"] : w["end"]] == w["word"] for w in result["explanation"])
    json.dumps(answer)  # the API can always serialise what it returns


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["application/json", "text/plain", "text/csv", None]))
def test_any_body_parses_or_gets_a_4xx(body: bytes, content_type: str | None) -> None:
    try:
        request.parse_request(body, content_type)
    except request.ServiceError as refused:
        assert 400 <= refused.status < 500


def test_megabytes_of_random_unicode(model: Any) -> None:
    generator = random.Random(7)
    text = "".join(chr(generator.randrange(0x110000)) for _ in range(1_500_000))  # about 6 MB of UTF-8
    tokens = tokenize(text, model.word_dict.preprocessor)
    item = service.encode(text, model.word_dict, model.sequence_length)
    assert len(item.ids) <= model.sequence_length and item.truncated == (len(tokens) > model.sequence_length)
    with pytest.raises(request.ServiceError) as refused:
        request.parse_request(json.dumps({"review": text}), "application/json")
    assert refused.value.status == 413


_CONTRACTION_HEADS = {"will": "wo", "can": "ca", "shall": "sha", "is": "ai"}


@SETTINGS
@given(REVIEW)
def test_each_word_is_the_visible_text_at_its_span(review: str) -> None:
    """The default preprocessing keeps words as written: the visible text of a token's span (markup
    removed, entities decoded) is the token itself, but for the parts of a split contraction."""
    for token in tokenize(review, WORDS):
        seen = visible_text(review[token.start : token.end]).text.lower().replace("’", "'")
        key = token.stem.removeprefix("not_")  # a word a negation governs carries its mark
        assert BOUNDARY not in seen
        assert seen == key or (key, seen) == ("not", "n't") or _CONTRACTION_HEADS.get(key) == seen


HUGE_OR_DEEP = st.one_of(
    st.integers(1, 20_000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(1, 20_000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
    st.integers(1, 10_000).map(lambda digits: "9" * digits),
    st.integers(1, 10_000).map(lambda digits: "-0." + "1" * digits + "e99999"),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
        max_leaves=50,
    ).map(json.dumps),
)


@SETTINGS
@given(HUGE_OR_DEEP, st.sampled_from(["review", "reviews", "other"]))
def test_any_json_value_in_a_request_parses_or_gets_a_400(value: str, key: str) -> None:
    for body in (value, f'{{"{key}": {value}}}', f'{{"reviews": [{value}, "fine"]}}'):
        try:
            request.parse_request(body, "application/json")
        except request.ServiceError as refused:
            assert 400 <= refused.status < 500 and refused.message
