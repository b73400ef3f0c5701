"""Serve a WSGI app on a free loopback port in a background thread (real HTTP for tests' stand-ins, such
as a faulty SageMaker endpoint; the product's own servers run on sentiment.web.server)."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Yield the base URL (http://127.0.0.1:PORT) while `app` is served."""
    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def exchange(port: int, raw: bytes, wait: float = 5.0, host: str = "127.0.0.1") -> bytes:
    """Send `raw` as it is (framing tests); everything the server answers until it closes (or `wait` passes)."""
    with socket.create_connection((host, port), timeout=wait) as client:
        client.sendall(raw)
        answer = b""
        try:
            while chunk := client.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
    return answer
