"""The model server's handlers against the requests that once cost gigabytes or answered 500: every
one is a 4xx JSON error decided before anything sized by the request is allocated."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from sentiment.scoring import chunks
from sentiment.scoring.graphs import GraphModel
from sentiment.serving.handlers import (
    CSV,
    JSON,
    MAX_EXPLAIN_ROWS,
    EndpointError,
    RowLimits,
    input_fn,
    negotiate,
    output_fn,
    predict_fn,
)


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> GraphModel:
    return GraphModel.load(tiny_model_dir)


def refused(model: GraphModel, body: bytes | str, content_type: str, attributes: str | None = None) -> EndpointError:
    with pytest.raises(EndpointError) as caught:
        predict_fn(input_fn(body, content_type, attributes, RowLimits.of(model)), model)
    assert 400 <= caught.value.status < 500 and caught.value.message
    return caught.value


def test_a_wide_csv_row_is_refused_before_it_is_read(model: GraphModel) -> None:
    """120 KB whose last row has 50,000 columns once made a worker allocate 2.2 GB."""
    body = "2,2,3\n" * 100 + "50000," + ",".join(["2"] * 50_000) + "\n"
    tracemalloc.start()
    error = refused(model, body, CSV)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert error.code == "row_too_long" and "row 100" in error.message
    assert peak < 5_000_000  # bytes: the refusal costs about the body, not the row's width


def test_a_wide_json_row_is_refused(model: GraphModel) -> None:
    body = json.dumps({"instances": [{"length": 3, "ids": [2] * 1_000_000}]})
    assert refused(model, body, JSON).code == "row_too_long"


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        ('{"instances": [{"length": 1, "ids": [9223372036854775808]}]}', JSON, "bad_ids"),  # 2^63
        ('{"instances": [{"length": 1, "ids": [-9223372036854775809]}]}', JSON, "bad_ids"),
        ("1," + "9" * 30 + "\n", CSV, "bad_ids"),
        ('{"instances": [{"length": 1, "ids": [' + "7" * 5000 + "]}]}", JSON, "malformed_json"),
        ("1," + "7" * 5000 + "\n", CSV, "bad_ids"),
        ("1,1_0\n", CSV, "malformed_row"),  # int() would read these three
        ("1,+5\n", CSV, "malformed_row"),
        ("1,\u0665\n", CSV, "malformed_row"),
        ('{"instances": ' + "[" * 5000 + "]" * 5000 + "}", JSON, "malformed_json"),
        ('{"instances": [{"length": 9223372036854775808, "ids": [2]}]}', JSON, "bad_length"),
        ('{"instances": [{"length": 1.5, "ids": [2]}]}', JSON, "malformed_row"),
        ('{"instances": [{"length": 1, "ids": [true]}]}', JSON, "malformed_row"),
        ('{"instances": [], "extra": 1}', JSON, "malformed_request"),
        ('{"instances": [{"length": 1, "ids": [NaN]}]}', JSON, "malformed_json"),
    ],
)
def test_huge_numbers_and_deep_nesting_are_the_callers_mistake(
    model: GraphModel, body: str, content_type: str, code: str
) -> None:
    assert refused(model, body, content_type).code == code


def test_explanations_are_bounded_per_request(model: GraphModel) -> None:
    rows = "".join("3,2,5,30\n" for _ in range(MAX_EXPLAIN_ROWS + 1))
    error = refused(model, rows, CSV, "explain=true")
    assert (error.status, error.code) == (413, "too_many_rows_to_explain")
    allowed = "".join("3,2,5,30\n" for _ in range(MAX_EXPLAIN_ROWS))
    prediction = predict_fn(input_fn(allowed, CSV, "explain=true", RowLimits.of(model)), model)
    assert prediction.attributions is not None and len(prediction.attributions) == MAX_EXPLAIN_ROWS


def test_chunked_scoring_gives_the_scores_of_one_pass(model: GraphModel, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows are scored in length-sorted chunks; each row's score and attributions are its own."""
    assert 10 * model.sequence_length <= chunks.SCORE_CHUNK_IDS
    monkeypatch.setattr(chunks, "SCORE_CHUNK_IDS", 200)  # many chunks from a small model's short rows
    rows = [[2 + (i * 7 + j) % 50 for j in range(1 + i % 37)] for i in range(300)]
    body = json.dumps({"instances": [{"length": len(r), "ids": r} for r in rows], "explain": True})
    together = predict_fn(input_fn(body, JSON), model)
    for index in (0, 7, len(rows) - 1):
        alone_body = json.dumps({"instances": [{"length": len(rows[index]), "ids": rows[index]}], "explain": True})
        alone = predict_fn(input_fn(alone_body, JSON), model)
        assert together.scores[index] == pytest.approx(alone.scores[0], abs=1e-6)
        assert together.attributions[index] == pytest.approx(alone.attributions[0], abs=1e-5)  # type: ignore[index]


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, JSON),
        ("*/*", JSON),
        ("text/html, application/json;q=0.9", JSON),
        ("text/*", CSV),
        ("text/csv;q=0.5, application/json;q=0.4", CSV),
        ("application/*", JSON),
        ("text/csv, application/json", JSON),
        ("TEXT/CSV", CSV),
        ("Application/JSON;q=0.2, text/CSV;q=0.1", JSON),
    ],
)
def test_accept_honours_q_values_and_wildcards(accept: str | None, media: str) -> None:
    assert negotiate(accept) == media


@pytest.mark.parametrize("accept", ["text/html", "application/xml, image/*", "*/*;q=0", "text/csv;q=0"])
def test_nothing_acceptable_is_406(model: GraphModel, accept: str) -> None:
    prediction = predict_fn(input_fn("3,2,5,30\n", CSV), model)
    with pytest.raises(EndpointError) as caught:
        output_fn(prediction, accept)
    assert (caught.value.status, caught.value.code) == (406, "not_acceptable")


def test_custom_attributes_are_checked_like_the_json_fields(model: GraphModel) -> None:
    assert refused(model, "3,2,5,30\n", CSV, "explain=maybe").code == "malformed_request"
    plain = predict_fn(input_fn("3,2,5,30\n", CSV, "vocab_sha256=", RowLimits.of(model)), model)  # "" as in JSON
    assert len(plain.scores) == 1


@pytest.mark.parametrize("separator", ["\u2028", "\x0c", "\x85", "\x1e"])
def test_csv_rows_end_at_newlines_only(model: GraphModel, separator: str) -> None:
    """Batch Transform splits on \\n: a line with another line separator inside is one row, never two,
    so the answer has as many scores as the request has lines."""
    assert len(predict_fn(input_fn(f"2,2,{separator}5\n1,3\n", CSV), model).scores) == 2
    assert len(predict_fn(input_fn("2,2,5\r\n1,3\r\n", CSV), model).scores) == 2
