"""The local stack over real HTTP: `sentiment up` (model server + API Gateway stand-in + website).

The API's own contract (routes, CORS, security headers, error shapes) also runs against SAM's emulator,
`sam local start-api` (the `api` fixture: both fronts), where they differ only as the README's "What
`sam local` does not emulate" says; those differences are asserted here too."""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.error
import urllib.request
from typing import Any

import pytest

from sentiment.local.processes import port_is_free
from tests.httpserver import exchange
from tests.processes import free_port, running, sentiment_command, up_command
from tests.sam import Api

pytestmark = pytest.mark.slow


def call(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def post_json(url: str, payload: Any) -> tuple[int, dict[str, Any]]:
    status, _, body = call(url, "POST", json.dumps(payload).encode(), {"Content-Type": "application/json"})
    return status, json.loads(body)


def test_single_review(api: Api) -> None:
    review = "A wonderful, moving film with superb acting."
    status, body = post_json(f"{api.url}/predict", {"review": review})
    assert status == 200 and body["label"] == "POSITIVE"
    words = [(e["word"], e["start"], e["end"]) for e in body["explanation"]]
    assert words[:2] == [("A", 0, 1), ("wonderful", 2, 11)]  # every word, in order, at its span
    assert all(review[start:end] == word for word, start, end in words)
    top = max(body["explanation"], key=lambda e: e["weight"])
    assert top["word"] in ("wonderful", "superb") and top["weight"] > 0  # a word of praise, not "film"


def test_batch_with_one_bad_item(api: Api) -> None:
    status, body = post_json(f"{api.url}/predict", {"reviews": ["Dull, boring and far too long.", 42, "Loved it!"]})
    assert status == 200
    assert [(r["index"], r["label"]) for r in body["results"]] == [(0, "NEGATIVE"), (2, "POSITIVE")]
    assert [(e["index"], e["code"]) for e in body["errors"]] == [(1, "not_a_string")]


def test_plain_text(api: Api) -> None:
    status, _, body = call(f"{api.url}/predict", "POST", b"Awful. A waste of time.", {"Content-Type": "text/plain"})
    assert status == 200 and json.loads(body)["label"] == "NEGATIVE"


def test_preflight_from_the_allowed_origin_and_from_another(api: Api) -> None:
    asking = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    status, headers, _ = call(f"{api.url}/predict", "OPTIONS", headers={"Origin": api.origin, **asking})
    assert status == 204 and headers["access-control-allow-origin"] == api.origin
    status, headers, _ = call(f"{api.url}/predict", "OPTIONS", headers={"Origin": "https://evil.example", **asking})
    assert "access-control-allow-origin" not in headers
    _, headers, _ = call(f"{api.url}/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in headers


def test_every_function_answer_carries_cors_and_nosniff(api: Api) -> None:
    for method, path, body in (("GET", "/health", None), ("POST", "/predict", b"{"), ("POST", "/predict", b"{}")):
        headers = {"Origin": api.origin, "Content-Type": "application/json"}
        _, answer_headers, _ = call(f"{api.url}{path}", method, body, headers)
        assert answer_headers["access-control-allow-origin"] == api.origin, (method, path, body)
        assert answer_headers["x-content-type-options"] == "nosniff"


def test_unknown_route_and_method(api: Api) -> None:
    """Our template answers API Gateway's own 403 as a JSON 404 (a gateway response); `sam local` does
    not emulate gateway responses and answers its bare 403."""
    for method, path in (("GET", "/nope/deeper"), ("DELETE", "/predict"), ("GET", "/predict")):
        status, headers, body = call(f"{api.url}{path}", method)
        assert headers["content-type"] == "application/json"
        if api.emulator == "sam":
            assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
        else:
            assert status == 404 and json.loads(body)["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"reviews": ["x" * 15_000] * 90}, "body_too_large"),
        ({"reviews": ["fine"] * 101}, "too_many_reviews"),
        ({"review": "é" * 10_001}, "review_too_long"),
    ],
)
def test_request_limits_are_413(api: Api, payload: dict[str, Any], code: str) -> None:
    status, body = post_json(f"{api.url}/predict", payload)
    assert status == 413 and body["error"]["code"] == code


def test_a_body_without_content_type_is_415_not_prose(api: Api) -> None:
    status, _, body = raw(
        api.url,
        b'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 19\r\nConnection: close\r\n\r\n{"review": "great"}',
    )
    assert (status, json.loads(body)["error"]["code"]) == (415, "unsupported_media_type")


def test_website_and_generated_config(stack: str) -> None:
    status, headers, body = call(f"{stack}/")
    assert status == 200 and headers["content-type"].startswith("text/html") and b"config.js" in body
    status, _, body = call(f"{stack}/config.js")
    assert status == 200 and f'"apiUrl": "{stack}"'.encode() in body
    assert call(f"{stack}/../pyproject.toml")[0] == 404


def test_a_busy_port_gets_a_clear_message(stack: str) -> None:
    port = stack.rsplit(":", 1)[1]
    done = subprocess.run(sentiment_command("up", "--port", port), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_ctrl_c_stops_everything() -> None:
    port, model_port = free_port(), free_port()
    with running(up_command(port, model_port), f"http://127.0.0.1:{port}/health") as process:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    assert port_is_free("127.0.0.1", port) and port_is_free("127.0.0.1", model_port)  # nothing left listening


def raw(stack: str, request: bytes, wait: float = 8.0) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (framing tests); the status, headers and body that come back."""
    host, port = stack.removeprefix("http://").split(":")
    answer = exchange(int(port), request, wait, host)
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("path", ["/%00", "/index.html%00.png", "/" + "a" * 300, "/a/" + "b" * 3000])
def test_impossible_paths_are_404_json(stack: str, path: str) -> None:
    status, headers, body = raw(stack, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert status == 404 and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "not_found"


def test_chunked_bodies_are_decoded(stack: str) -> None:
    payload = json.dumps({"review": "A wonderful film."}).encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)
    status, _, body = raw(
        stack,
        b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked,
    )
    assert status == 200 and json.loads(body)["label"] == "POSITIVE"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 9\r\n\r\nhello", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
        (b"GARBAGE\r\n\r\n", 400),
        (b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", 408),
    ],
)
def test_framing_and_protocol_errors_are_json_in_the_apis_shape(stack: str, request_bytes: bytes, status: int) -> None:
    got, headers, body = raw(stack, request_bytes, wait=30)
    assert got == status and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["message"]
    assert headers["access-control-allow-origin"] == stack  # the template's gateway response headers


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431, "headers_too_large"),
        (
            b"GET /predict HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            400,
            "upgrade_not_supported",
        ),
    ],
)
def test_the_fronts_own_refusals_carry_their_code_and_the_apis_headers(
    stack: str, request_bytes: bytes, status: int, code: str
) -> None:
    got, headers, body = raw(stack, request_bytes, wait=10)
    assert (got, json.loads(body)["error"]["code"]) == (status, code)
    assert headers["access-control-allow-origin"] == stack and headers["x-content-type-options"] == "nosniff"


def test_the_website_carries_the_security_headers_cloudfront_adds(stack: str) -> None:
    _, headers, _ = call(f"{stack}/")
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer" and "max-age=" in headers["strict-transport-security"]
    assert "python" not in headers.get("server", "").lower() and "wsgi" not in headers.get("server", "").lower()


def test_slow_clients_do_not_hold_up_the_api(stack: str) -> None:
    import socket
    import time

    host, port = stack.removeprefix("http://").split(":")
    held = []
    for i in range(50):
        client = socket.create_connection((host, int(port)))
        client.sendall(
            b"POST /predict HTTP/1.1\r\nHost: x\r\n"
            if i % 2
            else b"POST /predict HTTP/1.1\r\nContent-Length: 99\r\n\r\n{"
        )
        held.append(client)
    try:
        started = time.monotonic()
        assert post_json(f"{stack}/predict", {"review": "Lovely."})[0] == 200
        assert time.monotonic() - started < 5
    finally:
        for client in held:
            client.close()
