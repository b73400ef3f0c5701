"""Fast handler tests in the Powertools/SAM templates' style: every events/*.json through `lambda_handler`
with a dataclass Lambda context and the SageMaker runtime stubbed by botocore's Stubber (the slow,
faithful versions run the `sam build` output against the real model server)."""

from __future__ import annotations

import importlib.util
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from sentiment.core import config

EVENTS = config.PROJECT_ROOT / "events"
HANDLER = config.PROJECT_ROOT / "functions" / "predict" / "app.py"
ORIGIN = "https://d111111abcdef8.cloudfront.net"  # the events' Origin header, as in events/env.json


@dataclass
class LambdaContext:
    function_name: str = "PredictFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:PredictFunction"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


@pytest.fixture(scope="module")
def app() -> Iterator[ModuleType]:
    """The handler module loaded afresh, as a new Lambda container would, with the template's variables."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            config.ENV_ENDPOINT_NAME: "sentiment-endpoint",
            config.ENV_ALLOWED_ORIGIN: ORIGIN,
            config.ENV_SERVED_MODEL_DIR: str(config.SHIPPED_MODEL_DIR),
            config.ENV_AWS_REGION: "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "POWERTOOLS_SERVICE_NAME": "sentiment-api",
            "POWERTOOLS_METRICS_NAMESPACE": "Sentiment",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }.items():
            patch.setenv(name, value)
        spec = importlib.util.spec_from_file_location("predict_app_under_test", HANDLER)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())  # type: ignore[no-any-return]


def endpoint_answer(count: int) -> dict[str, Any]:
    """What InvokeEndpoint returns for `count` rows: a score and attributions per row."""
    predictions = [{"score": 0.9 if i % 2 else 0.1, "attributions": [0.5, -0.25, 0.1]} for i in range(count)]
    payload = json.dumps({"model": {"name": "default", "version": "test"}, "predictions": predictions}).encode()
    return {
        "Body": StreamingBody(io.BytesIO(payload), len(payload)),
        "ContentType": "application/json",
        "InvokedProductionVariant": "AllTraffic",
    }


def invoke(app: ModuleType, name: str, rows: int | None = None) -> tuple[int, dict[str, str], dict[str, Any]]:
    """The handler's answer to an event file; `rows`: the endpoint is expected to be called with that many."""
    with Stubber(app.ENDPOINT.client) as stub:
        if rows is not None:
            expected = {
                "EndpointName": "sentiment-endpoint",
                "ContentType": "application/json",
                "Accept": "application/json",
                "Body": ANY,
            }
            stub.add_response("invoke_endpoint", endpoint_answer(rows), expected)
        answer = app.lambda_handler(event(name), LambdaContext())
        stub.assert_no_pending_responses()
    headers = {k.lower(): ", ".join(v) for k, v in (answer.get("multiValueHeaders") or {}).items()}
    headers.update({k.lower(): v for k, v in (answer.get("headers") or {}).items()})
    return answer["statusCode"], headers, json.loads(answer["body"]) if answer.get("body") else {}


def test_single_review(app: ModuleType) -> None:
    status, headers, body = invoke(app, "predict_single", rows=1)
    assert status == 200 and headers["content-type"] == "application/json"
    assert headers["access-control-allow-origin"] == ORIGIN
    assert body["label"] == "NEGATIVE" and body["score"] == 0.1 and body["model"]["variant"] == "AllTraffic"
    review = json.loads(event("predict_single")["body"])["review"]
    assert all(review[w["start"] : w["end"]] == w["word"] for w in body["explanation"])


def test_batch_keeps_good_items_and_names_the_bad_one(app: ModuleType) -> None:
    status, _, body = invoke(app, "predict_batch", rows=2)
    assert status == 200 and [r["index"] for r in body["results"]] == [0, 1]
    assert body["errors"] == [{"index": 2, "code": "empty_review", "message": "the review is empty"}]


def test_plain_text_body_is_one_review(app: ModuleType) -> None:
    status, _, body = invoke(app, "predict_plain_text", rows=1)
    assert status == 200 and "label" in body


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("predict_empty_body", 400, "empty_body"),
        ("predict_malformed_json", 400, "malformed_json"),
        ("predict_oversized_review", 413, "review_too_long"),
        ("predict_wrong_media_type", 415, "unsupported_media_type"),
        ("unknown_route", 404, "not_found"),
    ],
)
def test_refusals_never_reach_the_endpoint(app: ModuleType, name: str, status: int, code: str) -> None:
    got, headers, body = invoke(app, name)  # no stubbed response: a call would fail the test
    assert (got, body["error"]["code"]) == (status, code)
    assert headers["content-type"] == "application/json" and body["error"]["message"]


def test_health(app: ModuleType) -> None:
    status, _, body = invoke(app, "health")
    assert status == 200 and body["status"] == "ok" and body["endpoint"] == "sentiment-endpoint"


def test_preflight(app: ModuleType) -> None:
    status, headers, _ = invoke(app, "predict_preflight")
    assert status == 204 and headers["access-control-allow-origin"] == ORIGIN


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [("ThrottlingException", 429, "throttled"), ("ModelNotReadyException", 503, "model_unavailable")],
)
def test_endpoint_failures_map_to_documented_statuses(app: ModuleType, error: str, status: int, code: str) -> None:
    with Stubber(app.ENDPOINT.client) as stub:
        stub.add_client_error("invoke_endpoint", service_error_code=error)
        answer = app.lambda_handler(event("predict_single"), LambdaContext())
    assert (answer["statusCode"], json.loads(answer["body"])["error"]["code"]) == (status, code)


def test_every_event_file_is_covered() -> None:
    covered = {
        "predict_single",
        "predict_batch",
        "predict_plain_text",
        "predict_empty_body",
        "predict_malformed_json",
        "predict_oversized_review",
        "predict_wrong_media_type",
        "unknown_route",
        "health",
        "predict_preflight",
    }
    assert {p.stem for p in Path(EVENTS).glob("*.json")} - {"env"} == covered
