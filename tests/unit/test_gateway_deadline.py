"""API Gateway's 29 s count from the request's arrival in the stand-in, the wait for a thread and a
function instance included; static files and the gateway's own answers take no instance, and the
health check and preflights have their own lane and instance."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest

from sentiment.core.config import STATIC_DIR
from sentiment.local.gateway import Gateway
from sentiment.local.lambda_runtime import INTEGRATION_TIMEOUT_S
from sentiment.local.stack import StackOptions, gateway_errors
from sentiment.local.template import read_api
from sentiment.web.server import RECEIVED


class RecordingPool:
    """A function pool that answers at once and records the time it was given."""

    def __init__(self) -> None:
        self.deadlines: list[float] = []

    def invoke(self, event: dict[str, Any], deadline_s: float) -> dict[str, Any]:
        self.deadlines.append(deadline_s)
        return {"statusCode": 200, "body": "{}", "headers": {"Content-Type": "application/json"}}


@pytest.fixture
def gateway() -> tuple[Gateway, RecordingPool, RecordingPool]:
    options = StackOptions()
    work, control = RecordingPool(), RecordingPool()
    pools: dict[str, Any] = {"PredictFunction": work}
    controls: dict[str, Any] = {"PredictFunction": control}
    api = read_api(options.template)
    return Gateway(api, pools, STATIC_DIR, "", gateway_errors(options), controls), work, control


def call(gateway: Gateway, method: str, path: str, waited_s: float) -> tuple[int, dict[str, Any]]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(b'{"review": "fine"}'),
        RECEIVED: time.monotonic() - waited_s,
    }
    answer: dict[str, Any] = {}
    body = b"".join(gateway(environ, lambda status, headers: answer.update(status=int(status.split()[0]))))
    return answer["status"], json.loads(body) if body.startswith(b"{") else {}


def test_the_time_already_waited_counts_against_the_29_seconds(gateway: tuple[Gateway, Any, Any]) -> None:
    app, work, _ = gateway
    assert call(app, "POST", "/predict", waited_s=10)[0] == 200
    assert work.deadlines[-1] == pytest.approx(INTEGRATION_TIMEOUT_S - 10, abs=0.5)
    status, body = call(app, "POST", "/predict", waited_s=INTEGRATION_TIMEOUT_S + 1)
    assert status == 504 and len(work.deadlines) == 1  # answered at once, never invoked
    assert "timeout" in body["error"]["code"]


def test_health_and_preflights_use_their_own_instance_and_files_none(gateway: tuple[Gateway, Any, Any]) -> None:
    app, work, control = gateway
    lanes = {
        (method, path): app.lane({"REQUEST_METHOD": method, "PATH_INFO": path})
        for method, path in (("GET", "/health"), ("OPTIONS", "/predict"), ("POST", "/predict"), ("GET", "/"))
    }
    assert lanes == {
        ("GET", "/health"): "light",
        ("OPTIONS", "/predict"): "light",
        ("POST", "/predict"): "work",
        ("GET", "/"): "inline",
    }
    call(app, "GET", "/health", waited_s=0)
    assert len(control.deadlines) == 1 and not work.deadlines
