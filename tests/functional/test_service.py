"""The prediction service (the Lambda's logic) against the real model server over HTTP, and its failures."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from sentiment.api.endpoint_client import EndpointClient
from sentiment.api.request import MAX_BATCH_REVIEWS, MAX_REVIEW_BYTES, ServiceError, parse_request
from sentiment.api.service import score_reviews
from sentiment.scoring.graphs import GraphModel
from sentiment.serving.app import ModelServer
from sentiment.text.vocab import WordDict
from tests.httpserver import serving
from tests.processes import free_port


def _runtime(url: str, read_timeout: float = 5.0):  # type: ignore[no-untyped-def]
    config = Config(read_timeout=read_timeout, connect_timeout=1, retries={"max_attempts": 1})
    return boto3.client(
        "sagemaker-runtime",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )


@pytest.fixture(scope="module")
def served(tiny_model_dir: Path) -> Iterator[tuple[EndpointClient, WordDict, int]]:
    model = GraphModel.load(tiny_model_dir)
    with serving(ModelServer(model)) as url:
        yield EndpointClient("sentiment", client=_runtime(url)), model.word_dict, model.sequence_length


def _predict(served: tuple[EndpointClient, WordDict, int], body: str, content_type: str = "application/json") -> Any:
    client, word_dict, length = served
    return score_reviews(parse_request(body, content_type), word_dict, length, client.invoke)


def test_one_review_gets_label_score_and_word_explanations(served: tuple[EndpointClient, WordDict, int]) -> None:
    review = "<b>W2</b> and w3, not w25!"
    result = _predict(served, json.dumps({"review": review}))
    assert result["label"] == "POSITIVE" and result["score"] > 0.5
    assert result["confidence"] == pytest.approx(max(result["score"], 1 - result["score"]), abs=1e-4)
    assert result["truncated"] is False and result["model"]["name"] == "default"
    words = [(e["word"], review[e["start"] : e["end"]]) for e in result["explanation"]]
    assert words == [("W2", "W2"), ("w3", "w3"), ("not", "not"), ("w25", "w25")]
    strongest = max(result["explanation"], key=lambda e: e["weight"])
    assert strongest["word"] in ("W2", "w3")


def test_plain_text_body_is_one_review(served: tuple[EndpointClient, WordDict, int]) -> None:
    assert _predict(served, "w12 w13 w14", "text/plain; charset=utf-8")["label"] == "NEGATIVE"


def test_batch_with_bad_items_keeps_the_good_ones(served: tuple[EndpointClient, WordDict, int]) -> None:
    reviews = ["w2 w3", "", 42, "x" * (MAX_REVIEW_BYTES + 1), "w12 w13"]
    answer = _predict(served, json.dumps({"reviews": reviews}))
    assert [(r["index"], r["label"]) for r in answer["results"]] == [(0, "POSITIVE"), (4, "NEGATIVE")]
    assert [(e["index"], e["code"]) for e in answer["errors"]] == [
        (1, "empty_review"),
        (2, "not_a_string"),
        (3, "review_too_long"),
    ]


def test_long_reviews_are_flagged_truncated(served: tuple[EndpointClient, WordDict, int]) -> None:
    result = _predict(served, json.dumps({"review": " ".join(["w2"] * 100)}))
    assert result["truncated"] is True and len(result["explanation"]) == 40


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("", "application/json", 400, "empty_body"),
        ("{oops", "application/json", 400, "malformed_json"),
        ('{"reviews": [Infinity, "great"]}', "application/json", 400, "malformed_json"),
        ('{"review": NaN}', "application/json", 400, "malformed_json"),
        ('{"reviews": ["great", -Infinity]}', "application/json", 400, "malformed_json"),
        ('{"text": "x"}', "application/json", 400, "malformed_request"),
        ('{"review": 5}', "application/json", 400, "malformed_request"),
        ('{"review": "fine", "rating": 5}', "application/json", 400, "unknown_field"),
        (b"\xff\xfe", "text/plain", 400, "bad_encoding"),
        ('{"reviews": []}', "application/json", 400, "malformed_request"),
        (json.dumps({"reviews": ["a"] * (MAX_BATCH_REVIEWS + 1)}), "application/json", 413, "too_many_reviews"),
        ('{"review": "   "}', "application/json", 400, "empty_review"),
        (json.dumps({"review": "y" * (MAX_REVIEW_BYTES + 1)}), "application/json", 413, "review_too_long"),
        ("x", "application/xml", 415, "unsupported_media_type"),
        ("x", None, 415, "unsupported_media_type"),
    ],
)
def test_bad_requests(
    served: tuple[EndpointClient, WordDict, int], body: str, content_type: str | None, status: int, code: str
) -> None:
    with pytest.raises(ServiceError) as caught:
        _predict(served, body, content_type)  # type: ignore[arg-type]
    assert (caught.value.status, caught.value.code) == (status, code)


def _fails_with(client: EndpointClient, status: int, code: str) -> None:
    with pytest.raises(ServiceError) as caught:
        client.invoke(b'{"instances": [{"length": 1, "ids": [2]}]}')
    assert (caught.value.status, caught.value.code) == (status, code)
    assert "Traceback" not in caught.value.message


def test_server_down_is_503_promptly() -> None:
    started = time.monotonic()
    _fails_with(EndpointClient("x", client=_runtime(f"http://127.0.0.1:{free_port()}")), 503, "model_unavailable")
    assert time.monotonic() - started < 5


def test_slow_server_is_504_within_the_timeout() -> None:
    def slow(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        time.sleep(2)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    with serving(slow) as url:
        started = time.monotonic()
        _fails_with(EndpointClient("x", client=_runtime(url, read_timeout=0.5)), 504, "model_timeout")
        assert time.monotonic() - started < 2


@pytest.mark.parametrize(("status", "body"), [("500 Internal Server Error", b"boom"), ("200 OK", b"not json")])
def test_broken_server_answers_are_502(status: str, body: bytes) -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [("Content-Type", "application/json")])
        return [body]

    with serving(broken) as url, pytest.raises(ServiceError) as caught:
        EndpointClient("x", client=_runtime(url)).invoke(b"{}")
    assert caught.value.status in (502, 503)


def test_dictionary_mismatch_is_reported_not_scored(served: tuple[EndpointClient, WordDict, int]) -> None:
    client, _, length = served
    other = WordDict(("zz", "yy"))
    with pytest.raises(ServiceError) as caught:
        score_reviews(parse_request('{"review": "w2"}', "application/json"), other, length, client.invoke)
    assert (caught.value.status, caught.value.code) == (503, "model_mismatch")


@pytest.mark.parametrize(
    ("error_code", "extra", "status", "code"),
    [
        ("ThrottlingException", {}, 429, "throttled"),
        ("ValidationError", {}, 503, "model_unavailable"),
        ("ModelError", {"OriginalStatusCode": 500}, 502, "model_error"),
        ("ModelNotReadyException", {}, 503, "model_unavailable"),
    ],
)
def test_runtime_errors_map_to_documented_statuses(
    error_code: str, extra: dict[str, Any], status: int, code: str
) -> None:
    runtime = _runtime("http://127.0.0.1:9")
    with Stubber(runtime) as stub:
        stub.add_client_error("invoke_endpoint", service_error_code=error_code, modeled_fields=extra or None)
        _fails_with(EndpointClient("x", client=runtime), status, code)


@pytest.mark.parametrize(
    "body",
    [
        '{"review": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"reviews": [' + "{" * 3000 + "}" * 3000 + "]}",
        '{"review": ' + "7" * 5000 + "}",
        '{"reviews": [' + "9" * 5000 + "]}",
    ],
)
def test_deep_nesting_and_huge_numbers_are_the_callers_mistake(body: str) -> None:
    with pytest.raises(ServiceError) as caught:
        parse_request(body, "application/json")
    assert (caught.value.status, caught.value.code) == (400, "malformed_json")


@pytest.mark.parametrize("loader", ["layer", "model server"])
def test_an_artifact_of_an_unknown_preprocessing_version_is_refused_at_load(
    tiny_model_dir: Path, tmp_path: Path, loader: str
) -> None:
    import shutil

    from sentiment.api.service import ServedModel
    from sentiment.core.errors import ConfigError, DataError
    from sentiment.scoring.graphs import GraphModel
    from sentiment.text.vocab import WordDict

    folder = tmp_path / "future"
    shutil.copytree(tiny_model_dir, folder)
    future = WordDict(WordDict.load(folder / "word_dict.json").words, preprocessor="9")
    future.save(folder / "word_dict.json")
    config = json.loads((folder / "config.json").read_text())
    config["preprocessing"].update(preprocessor="9", vocab_sha256=future.sha256)
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises((ConfigError, DataError), match="preprocessing version '9' is unknown"):
        ServedModel.load(folder) if loader == "layer" else GraphModel.load(folder)


def test_a_batch_answer_past_lambdas_6_mb_keeps_everything_but_the_explanations() -> None:
    from sentiment.api.service import within_response_limit

    word = {"word": "𝓰", "start": 0, "end": 1, "weight": -0.1234}  # escaped twice on its way out
    item = {"index": 0, "label": "POSITIVE", "score": 0.9, "rating": 8.1, "explanation": [word] * 5000}
    small = within_response_limit({"results": [dict(item)], "errors": []})
    assert len(small["results"][0]["explanation"]) == 5000 and "explanations_omitted" not in small
    big = within_response_limit({"results": [dict(item, index=i) for i in range(100)], "errors": []})
    assert [r["index"] for r in big["results"]] == list(range(100))
    assert all(r["explanation"] == [] and r["rating"] == 8.1 for r in big["results"])
    assert "6 MB" in big["explanations_omitted"]
