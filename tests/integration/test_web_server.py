"""The HTTP front both servers share (sentiment.web.server, gunicorn's asyncio worker) as a real
process on loopback, with short limits: slow and lying clients are cut off in bounded time while
everyone else is answered, and every error gunicorn or the front answers itself is JSON."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.httpserver import exchange
from tests.processes import free_port, wait_until_up

pytestmark = pytest.mark.slow
APP = textwrap.dedent(
    """
    import sys
    from sentiment.web.server import Limits, serve

    def app(environ, start_response):
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"read": %d}' % len(body)]

    limits = Limits(max_body_bytes=1000, header_timeout_s=1.0, body_timeout_s=1.0, max_connections=200, threads=2)
    serve(lambda: app, "127.0.0.1", int(sys.argv[1]), 1, limits, "web-server-test")
    """
)


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    number = free_port()
    process = subprocess.Popen([sys.executable, "-c", APP, str(number)], stderr=subprocess.PIPE, start_new_session=True)
    wait_until_up(f"http://127.0.0.1:{number}/", process, 60)
    yield number
    process.terminate()
    process.wait(timeout=30)


def status_and_json(answer: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), head
    return int(head.split()[1]), json.loads(body)


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"GARBAGE\r\n\r\n", 400, "bad_request"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431, "headers_too_large"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
            431,
            "headers_too_large",
        ),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello", 400, "bad_request"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n", 413, "payload_too_large"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n", 400, "bad_request"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + b"0" * 5000 + b"2\r\n\r\nhi", 400, "bad_request"),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"200\r\n"
            + b"x" * 512
            + b"\r\n"
            + b"200\r\n"
            + b"x" * 512
            + b"\r\n0\r\n\r\n",
            413,
            "payload_too_large",
        ),
        (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505, "http_version_not_supported"),
    ],
)
def test_malformed_requests_get_json_errors(port: int, raw: bytes, status: int, code: str) -> None:
    got, body = status_and_json(exchange(port, raw))
    assert got == status or (status == 505 and got == 400), body
    assert body["error"]["code"] in (code, "bad_request")  # type: ignore[index]


def test_a_chunked_body_is_decoded(port: int) -> None:
    raw = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n"
    assert status_and_json(exchange(port, raw, wait=2)) == (200, {"read": 8})


@pytest.mark.parametrize(
    "raw",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n",  # headers never finish
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort",  # body shorter than announced
    ],
)
def test_stalled_clients_are_answered_408_and_cut_off(port: int, raw: bytes) -> None:
    started = time.monotonic()
    answer = exchange(port, raw, wait=10)
    assert time.monotonic() - started < 5
    status, body = status_and_json(answer)
    assert status == 408 and body["error"]["code"] == "request_timeout"  # type: ignore[index]


def test_slow_clients_do_not_starve_anyone(port: int) -> None:
    held = []
    for i in range(60):
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(
            b"GET / HTTP/1.1\r\nHost: x\r\n" if i % 2 else b"POST / HTTP/1.1\r\nContent-Length: 900\r\n\r\nx"
        )
        held.append(client)
    try:
        for _ in range(10):
            started = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                assert response.status == 200
            assert time.monotonic() - started < 0.5
    finally:
        for client in held:
            client.close()


TIGHT_APP = textwrap.dedent(
    """
    import sys, time
    from sentiment.web.server import Limits, serve

    class App:
        def lane(self, environ):
            return "inline" if environ["PATH_INFO"] == "/ping" else "work"

        def __call__(self, environ, start_response):
            body = environ["wsgi.input"].read()
            if environ["PATH_INFO"] == "/slow":
                time.sleep(3)
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"read": %d}' % len(body)]

    limits = Limits(max_body_bytes=1000, header_timeout_s=1.0, body_timeout_s=3.0, max_connections=20, threads=1,
                    buffered_bytes=2500, answer_within_s=1.0)
    serve(lambda: App(), "127.0.0.1", int(sys.argv[1]), 1, limits, "web-server-tight")
    """
)


@pytest.fixture(scope="module")
def tight() -> Iterator[int]:
    """The front with small bounds: 20 connections, 2,500 bytes of bodies held, answers within 1 s."""
    number = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", TIGHT_APP, str(number)], stderr=subprocess.PIPE, start_new_session=True
    )
    wait_until_up(f"http://127.0.0.1:{number}/ping", process, 60)
    yield number
    process.terminate()
    process.wait(timeout=30)


def test_connections_past_the_cap_get_503_at_once(tight: int) -> None:
    held = [socket.create_connection(("127.0.0.1", tight)) for _ in range(20)]
    try:
        time.sleep(0.3)
        status, body = status_and_json(exchange(tight, b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", wait=3))
        assert (status, body["error"]["code"]) == (503, "busy")  # type: ignore[index]
    finally:
        for client in held:
            client.close()
    time.sleep(0.3)
    assert status_and_json(exchange(tight, b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))[0] == 200


def test_bodies_held_past_the_budget_get_503_with_retry_after(tight: int) -> None:
    """Three bodies of 900 bytes waiting for the one thread: the third is refused before it is read."""
    slow = [socket.create_connection(("127.0.0.1", tight)) for _ in range(2)]
    try:
        for client in slow:
            client.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n" + b"x" * 900)
        time.sleep(0.3)
        answer = exchange(tight, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n" + b"x" * 900)
        status, body = status_and_json(answer)
        assert (status, body["error"]["code"]) == (503, "busy") and b"retry-after: 1" in answer.lower()  # type: ignore[index]
    finally:
        for client in slow:
            client.close()


def test_an_answer_past_its_time_is_504_on_time(tight: int) -> None:
    started = time.monotonic()
    request = urllib.request.Request(f"http://127.0.0.1:{tight}/slow", data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as answered:
        urllib.request.urlopen(request, timeout=10)
    assert time.monotonic() - started < 2.0
    assert (answered.value.code, json.loads(answered.value.read())["error"]["code"]) == (504, "timeout")


def test_the_next_request_on_a_kept_alive_connection_has_its_own_header_deadline(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)
        assert client.recv(65536).startswith(b"HTTP/1.1 200")
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and then nothing more
        started = time.monotonic()
        answer = b"".join(iter(lambda: client.recv(65536), b""))
    assert time.monotonic() - started < 3  # the header deadline is 1 s
    status, body = status_and_json(answer)
    assert (status, body["error"]["code"]) == (408, "request_timeout")  # type: ignore[index]


def test_a_websocket_upgrade_is_a_json_400(port: int) -> None:
    raw = (
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    status, body = status_and_json(exchange(port, raw))
    assert (status, body["error"]["code"]) == (400, "upgrade_not_supported")  # type: ignore[index]


def test_a_malformed_header_name_is_named_in_words(port: int) -> None:
    status, body = status_and_json(exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nContent-Type : a\r\n\r\n"))
    message = body["error"]["message"]  # type: ignore[index]
    assert status == 400 and " " in message.strip() and message.startswith("malformed request")


def test_an_idle_server_stops_in_well_under_two_seconds() -> None:
    number = free_port()
    process = subprocess.Popen([sys.executable, "-c", APP, str(number)], stderr=subprocess.PIPE, start_new_session=True)
    wait_until_up(f"http://127.0.0.1:{number}/", process, 60)
    keep = socket.create_connection(("127.0.0.1", number))  # a kept-alive client: not waited for
    keep.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    started = time.monotonic()
    process.terminate()
    process.wait(timeout=30)
    keep.close()
    assert time.monotonic() - started < 2.0
