"""The API Gateway stand-in builds the same REST proxy events as the files in events/ (which follow
API Gateway's payload format 1.0), so the local stack and `sam local invoke` feed the handler alike."""

from __future__ import annotations

import json

import pytest

from sentiment.core.config import PROJECT_ROOT
from sentiment.local.gateway import proxy_event
from sentiment.web.site import config_js

EVENTS = sorted(p for p in (PROJECT_ROOT / "events").glob("*.json") if p.name != "env.json")


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_stand_in_events_have_the_shape_of_the_sample_events(path: object) -> None:
    sample = json.loads(path.read_text())  # type: ignore[attr-defined]
    body = sample["body"].encode() if sample["body"] else None
    built = proxy_event(sample["httpMethod"], sample["path"], sample["headers"] or {}, body)
    assert set(built) == set(sample)
    assert set(built["requestContext"]) == set(sample["requestContext"])
    assert (built["body"], built["isBase64Encoded"]) == (sample["body"], sample["isBase64Encoded"])
    assert built["multiValueHeaders"] == sample["multiValueHeaders"]


def test_binary_bodies_are_base64_and_queries_are_split() -> None:
    event = proxy_event("POST", "/predict", {"Content-Type": "text/plain"}, b"\xff\xfe", query="a=1&a=2&b=")
    assert event["isBase64Encoded"] is True and event["body"] == "//4="
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}
    assert event["queryStringParameters"] == {"a": "2", "b": ""}


def test_config_js_carries_the_api_url() -> None:
    assert config_js("https://x.example/v1/") == 'window.SENTIMENT_CONFIG = {\n  "apiUrl": "https://x.example/v1"\n};\n'
