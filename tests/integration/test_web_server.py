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
