"""Faults between the Lambda and the endpoint, through the local stack's real processes on loopback:
the endpoint down, slow, failing or answering garbage, and a dictionary that does not match."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.httpserver import serving
from tests.processes import free_port, running, sentiment_command

pytestmark = pytest.mark.slow
READ_TIMEOUT_S = 1.0


class FaultyEndpoint:
    """A stand-in SageMaker endpoint whose behaviour the test switches: forward to the real model
    server, be slow, fail with 500, or answer something that is not JSON."""

    def __init__(self, real_url: str) -> None:
        self.real_url, self.mode = real_url, "ok"

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if self.mode == "slow":
            time.sleep(READ_TIMEOUT_S * 4)
        if self.mode == "error":
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"Traceback (most recent call last): boom"]
        if self.mode == "garbage":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b"<html>not json</html>"]
        request = urllib.request.Request(
            self.real_url + environ["PATH_INFO"], data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            start_response("200 OK", [("Content-Type", "application/json")])
            return [answer.read()]


def post(url: str, review: str = "A wonderful film.") -> tuple[int, dict[str, Any], float]:
    started = time.monotonic()
    request = urllib.request.Request(
        f"{url}/predict", data=json.dumps({"review": review}).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read()), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), time.monotonic() - started


def stack(endpoint_url: str, model_dir: str = "model/artifact") -> Any:
    port = free_port()
    command = sentiment_command("up", "--port", str(port), "--endpoint-url", endpoint_url, "--model-dir", model_dir)
    env = {"ENDPOINT_READ_TIMEOUT_S": str(READ_TIMEOUT_S), "ENDPOINT_CONNECT_TIMEOUT_S": "1"}
    return running(command, f"http://127.0.0.1:{port}/health", env=env), f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def model_server() -> Iterator[str]:
    port = free_port()
    command = sentiment_command("serve", "--model-dir", "model/artifact", "--port", str(port), "--workers", "1")
    with running(command, f"http://127.0.0.1:{port}/ping"):
        yield f"http://127.0.0.1:{port}"


def test_faulty_endpoint_statuses(model_server: str) -> None:
    faulty = FaultyEndpoint(model_server)
    with serving(faulty) as endpoint:
        context, url = stack(endpoint)
        with context:
            assert post(url)[0] == 200
            faulty.mode = "slow"
            status, body, seconds = post(url)
            assert (status, body["error"]["code"]) == (504, "model_timeout")
            assert seconds < READ_TIMEOUT_S * 2 + 2  # bounded: the timeout, one retry, no more
            faulty.mode = "error"
            status, body, _ = post(url)
            assert status in (502, 503) and body["error"]["code"] in ("model_error", "model_unavailable")
            assert "Traceback" not in json.dumps(body)
            faulty.mode = "garbage"
            status, body, _ = post(url)
            assert (status, body["error"]["code"]) == (502, "bad_model_response")
            faulty.mode = "ok"
            assert post(url)[0] == 200  # recovers by itself


def test_down_then_back(tmp_path: Path) -> None:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    context, url = stack(endpoint)
    with context:
        status, body, seconds = post(url)
        assert (status, body["error"]["code"]) == (503, "model_unavailable") and seconds < 5
        command = sentiment_command("serve", "--model-dir", "model/artifact", "--port", str(port), "--workers", "1")
        with running(command, f"{endpoint}/ping"):
            status, body, _ = post(url)
            assert status == 200 and body["label"] == "POSITIVE"


def test_a_dictionary_that_does_not_match_the_model_is_refused(model_server: str, tiny_model_dir: Path) -> None:
    context, url = stack(model_server, model_dir=str(tiny_model_dir))  # the layer carries another dictionary
    with context:
        status, body, _ = post(url)
        assert (status, body["error"]["code"]) == (503, "model_mismatch")


def test_concurrent_requests_while_the_endpoint_flaps(model_server: str) -> None:
    faulty = FaultyEndpoint(model_server)
    with serving(faulty) as endpoint:
        context, url = stack(endpoint)
        with context:
            statuses: list[int] = []

            def client() -> None:
                for _ in range(10):
                    statuses.append(post(url)[0])

            threads = [threading.Thread(target=client) for _ in range(4)]
            for thread in threads:
                thread.start()
            for mode in ("error", "ok", "garbage", "ok"):
                faulty.mode = mode
                time.sleep(0.2)
            for thread in threads:
                thread.join()
            assert set(statuses) <= {200, 502, 503} and 200 in statuses
            assert post(url)[0] == 200


def test_a_slow_endpoint_is_a_504_within_the_functions_own_timeout(model_server: str) -> None:
    """As on AWS: the endpoint call gets what is left of the function's time, so the caller gets the
    documented 504 model_timeout, not API Gateway's bare 502 for a function that ran out of time."""
    faulty = FaultyEndpoint(model_server)
    faulty.mode = "slow"
    with serving(faulty) as endpoint:
        port = free_port()
        command = sentiment_command("up", "--port", str(port), "--endpoint-url", endpoint, "--function-timeout", "3")
        env = {"ENDPOINT_READ_TIMEOUT_S": "60"}  # only the function's budget can stop the call
        with running(command, f"http://127.0.0.1:{port}/health", env=env):
            status, body, seconds = post(f"http://127.0.0.1:{port}")
    assert (status, body["error"]["code"]) == (504, "model_timeout")
    assert seconds < 3
