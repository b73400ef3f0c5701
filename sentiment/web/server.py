"""Serve a WSGI app with gunicorn, slow and hostile clients held at the door.

gunicorn's asyncio worker reads every request: a connection waiting for headers or a body costs a
few kilobytes, never a thread, so clients that send slowly, or less than their Content-Length, or
never finish their headers cannot starve anyone. Only complete requests reach the application,
which runs in a small thread pool (the model server's scoring releases the GIL in torch):

- headers must be complete within `header_timeout_s` of connecting (else 408), the whole body within
  `body_timeout_s` (else 408), and a body may not exceed `max_body_bytes` (else 413, decided from
  Content-Length before anything is read, or as soon as a chunked body passes the limit);
- at most `max_connections` connections per worker process; the kernel's backlog holds the rest;
- every error, gunicorn's own included (malformed request line, header too large, unsupported
  transfer coding), is JSON `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.asgi.protocol import ASGIProtocol
from gunicorn.workers import gasgi

log = logging.getLogger(__name__)
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Headers = list[tuple[str, str]]
# Formats an error this layer answers itself (status, code, message) as (headers, body).
ErrorFormatter = Callable[[int, str, str], tuple[Headers, bytes]]


class _TooLarge:
    """What `_body` returns for a body over the limit."""


_TOO_LARGE = _TooLarge()
SERVER = "sentiment"
_CODES = {
    400: "bad_request",
    408: "request_timeout",
    413: "payload_too_large",
    414: "uri_too_long",
    431: "headers_too_large",
    501: "not_implemented",
    505: "http_version_not_supported",
}


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    header_timeout_s: float = 10.0
    body_timeout_s: float = 15.0
    max_connections: int = 256  # per worker process
    threads: int = 4  # application threads per worker process


def json_error(status: int, code: str, message: str) -> tuple[Headers, bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return [("Content-Type", "application/json")], body


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class BufferedWSGI:
    """ASGI app: read the whole request within the limits, then run the WSGI app on it in a thread."""

    def __init__(self, app: WSGIApp, limits: Limits, error: ErrorFormatter = json_error) -> None:
        self.app, self.limits, self.error = app, limits, error
        self.executor = ThreadPoolExecutor(limits.threads, thread_name_prefix="app")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        declared = [v for k, v in headers if k == "content-length"]
        limit = self.limits.max_body_bytes
        if declared and declared[0].isascii() and declared[0].isdigit() and _over(declared[0], limit):
            size = declared[0].lstrip("0")
            shown = f"{int(size):,}" if len(size) <= 30 else f"a {len(size):,}-digit number of"
            message = f"request body is {shown} bytes; the limit is {limit:,}"
            await self._send(send, 413, *self.error(413, "payload_too_large", message), close=True)
            return
        try:
            body = await asyncio.wait_for(self._body(receive), self.limits.body_timeout_s)
        except TimeoutError:
            message = f"the request body did not arrive within {self.limits.body_timeout_s:g} s"
            await self._send(send, 408, *self.error(408, "request_timeout", message), close=True)
            return
        if body is None:  # the client went away
            return
        if isinstance(body, _TooLarge):
            message = f"request body is over the limit of {limit:,} bytes"
            await self._send(send, 413, *self.error(413, "payload_too_large", message), close=True)
            return
        environ = self._environ(scope, headers, body)
        loop = asyncio.get_running_loop()
        status, response_headers, payload = await loop.run_in_executor(self.executor, self._run, environ)
        await self._send(send, status, response_headers, payload)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.executor.shutdown(wait=False)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _body(self, receive: Any) -> bytes | _TooLarge | None:
        """The whole body; None if the client went away, _TOO_LARGE as soon as it passes the limit."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.max_body_bytes:
                return _TOO_LARGE  # refused: nothing more is read
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    @staticmethod
    def _environ(scope: dict[str, Any], headers: list[tuple[str, str]], body: bytes) -> dict[str, Any]:
        server = scope.get("server") or ("localhost", 80)
        client = scope.get("client") or ("", 0)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope["method"],
            "SCRIPT_NAME": "",
            "PATH_INFO": scope["path"],
            "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
            "SERVER_NAME": str(server[0]),
            "SERVER_PORT": str(server[1]),
            "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
            "REMOTE_ADDR": str(client[0]),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.get("scheme", "http"),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        for name, value in headers:
            if name == "content-length" or name == "transfer-encoding":
                continue  # the body is whole now: its length is len(body)
            key = "CONTENT_TYPE" if name == "content-type" else "HTTP_" + name.upper().replace("-", "_")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _run(self, environ: dict[str, Any]) -> tuple[int, Headers, bytes]:
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], None]:
            answer["status"], answer["headers"] = int(status.split(" ", 1)[0]), headers
            return lambda data: None

        try:
            result = self.app(environ, start_response)
            try:
                payload = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        except Exception:  # a bug of ours: a JSON 500, never a traceback for the caller
            log.exception("the application failed")
            headers, payload = self.error(500, "internal_error", "something went wrong on our side; try again")
            return 500, headers, payload
        return answer["status"], answer["headers"], payload

    @staticmethod
    async def _send(send: Any, status: int, headers: Headers, body: bytes, close: bool = False) -> None:
        fields = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection", "server")]
        fields += [("Content-Length", str(len(body))), ("Server", SERVER)]  # no software versions to fingerprint
        if close:
            fields.append(("Connection", "close"))
        encoded = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in fields]
        await send({"type": "http.response.start", "status": status, "headers": encoded})
        await send({"type": "http.response.body", "body": body})


def _over(digits: str, limit: int) -> bool:
    """Is the decimal `digits` above `limit`? Without int() on thousands of digits (Python refuses
    more than 4,300)."""
    digits = digits.lstrip("0") or "0"
    return len(digits) > len(str(limit)) or int(digits) > limit


class GuardedProtocol(ASGIProtocol):  # type: ignore[misc]
    """gunicorn's HTTP/1 protocol with a deadline for the first request's headers and JSON errors."""

    header_timeout_s = 10.0
    error: ErrorFormatter = staticmethod(json_error)

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._header_deadline = self.worker.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def data_received(self, data: bytes) -> None:
        try:
            super().data_received(data)
        except ValueError:  # gunicorn's int() on a header of thousands of digits (e.g. Content-Length)
            if not self._closed:
                self._send_error_response(400, "a header holds a number too long to read (over 4,300 digits)")
                self._close_transport()

    def _on_headers_complete(self) -> Any:
        self._header_deadline.cancel()
        return super()._on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._header_deadline.cancel()
        super().connection_lost(exc)

    def _headers_too_slow(self) -> None:
        if self._current_request is None and not self._closed:
            message = f"the request headers did not arrive within {self.header_timeout_s:g} s"
            self._send_error_response(408, message)
            self._close_transport()

    def _send_error_response(self, status: int, message: str, extra_headers: Iterable[tuple[str, str]] = ()) -> None:
        headers, body = self.error(status, _CODES.get(status, "bad_request"), message or reason(status))
        fields = [*headers, *extra_headers, ("Content-Length", str(len(body))), ("Connection", "close")]
        head = f"HTTP/1.1 {status} {reason(status)}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"
        self._safe_write(head.encode("latin-1"))
        self._safe_write(body)


class Worker(gasgi.ASGIWorker):  # type: ignore[misc]
    """gunicorn's asyncio worker speaking through GuardedProtocol."""

    def init_process(self) -> None:
        # The worker builds its protocol by this module-level name; in this (worker) process it is ours.
        gasgi.ASGIProtocol = GuardedProtocol
        super().init_process()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn's documented custom-application hook: settings in, our app out (built in each worker)."""

    def __init__(self, load_app: Callable[[], Any], options: dict[str, Any]) -> None:
        self.load_app, self.options = load_app, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.load_app()


def serve(
    load_app: Callable[[], WSGIApp],
    host: str,
    port: int,
    workers: int,
    limits: Limits,
    name: str,
    error: ErrorFormatter = json_error,
    keepalive_s: int = 75,
) -> None:
    """Serve until SIGINT/SIGTERM: `workers` processes, each building its app with `load_app()`."""
    GuardedProtocol.header_timeout_s = limits.header_timeout_s
    GuardedProtocol.error = staticmethod(error)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": f"{__name__}.Worker",
        "worker_connections": limits.max_connections,
        "timeout": max(30, int(limits.body_timeout_s) * 2),  # worker heartbeat; the loop never blocks
        "graceful_timeout": 10,
        "keepalive": keepalive_s,  # longer than boto3's idle connection reuse
        "asgi_lifespan": "on",
        "control_socket_disable": True,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": name,
    }
    _Gunicorn(lambda: BufferedWSGI(load_app(), limits, error), options).run()
