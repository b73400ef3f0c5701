"""Serve a WSGI app with gunicorn, slow, greedy and hostile clients held at the door.

gunicorn's asyncio worker reads every request: a connection waiting for headers or a body costs a
few kilobytes, never a thread, so clients that send slowly, or less than their Content-Length, or
never finish their headers cannot starve anyone. Only complete requests reach the application. The
bounds, per worker process:

- every request's headers must be complete within `header_timeout_s` of their first byte (the first
  request's, of connecting; on a kept-alive connection, of the next request's first byte), else 408;
  the whole body within `body_timeout_s`, else 408; a body may not exceed `max_body_bytes`, else 413
  (decided from Content-Length before anything is read, or as soon as a chunked body passes it);
- at most `max_connections` connections: past it, a new one gets 503 at once and is closed;
- at most `buffered_bytes` of request bodies held at once (read, waiting or being handled): past it,
  503 with Retry-After before the body is read, so queued requests cannot exhaust memory;
- the application decides each request's lane (`lane(environ)`, optional): "inline" runs on the event
  loop itself (answers of a millisecond: health checks, static files, small requests: they never wait
  behind heavy work), "light" on a small thread pool of its own, "work" on the main pool after the
  application's `admit(environ)` (optional) has accepted it;
- with `answer_within_s`, a request not answered that long after its headers arrived gets 504 (what is
  still queued is dropped);
- every error, gunicorn's own included (malformed request line, header too large, unsupported
  transfer coding, a WebSocket upgrade, which no server of ours speaks), is JSON
  `{"error": {"code", "message"}}` from the application's error formatter, which knows the path.

On SIGTERM an idle worker stops at once (kept-alive connections with no request in flight are closed,
not waited for); requests in flight get up to `graceful_timeout_s` to finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
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
# Formats an error this layer answers itself (status, code, message, path) as (headers, body).
ErrorFormatter = Callable[[int, str, str, str], tuple[Headers, bytes]]
Refusal = tuple[int, Headers, bytes]
RECEIVED = "sentiment.received"  # environ key: the event loop's time when the request's headers arrived


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
    503: "busy",
    504: "timeout",
    505: "http_version_not_supported",
}


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    header_timeout_s: float = 10.0
    body_timeout_s: float = 15.0
    max_connections: int = 256  # per worker process
    threads: int = 4  # the main ("work") lane's threads per worker process
    light_threads: int = 2  # the "light" lane's threads
    buffered_bytes: int = 64 * 1024 * 1024  # request bodies held at once per worker process
    answer_within_s: float | None = None  # past it, 504 (None: the application keeps its own time)
    graceful_timeout_s: int = 10  # for requests in flight at SIGTERM


def json_error(status: int, code: str, message: str, path: str = "") -> tuple[Headers, bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return [("Content-Type", "application/json")], body


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class BufferedWSGI:
    """ASGI app: read the whole request within the limits, then run the WSGI app on it in its lane."""

    def __init__(self, app: WSGIApp, limits: Limits, error: ErrorFormatter = json_error) -> None:
        if limits.buffered_bytes < limits.max_body_bytes:
            raise ValueError("buffered_bytes must hold at least one body of max_body_bytes")
        self.app, self.limits, self.error = app, limits, error
        self.executor = ThreadPoolExecutor(limits.threads, thread_name_prefix="app")
        self.light_executor = ThreadPoolExecutor(limits.light_threads, thread_name_prefix="light")
        self.buffered = 0  # bytes of request bodies held now (the event loop's thread alone changes it)
        self.lane: Callable[[dict[str, Any]], str] = getattr(app, "lane", lambda environ: "work")
        self.admit: Callable[[dict[str, Any]], Refusal | None] = getattr(app, "admit", lambda environ: None)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        loop = asyncio.get_running_loop()
        received = loop.time()
        path = scope.get("path", "")
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        declared = [v for k, v in headers if k == "content-length"]
        limit = self.limits.max_body_bytes
        numeric = bool(declared) and declared[0].isascii() and declared[0].isdigit()
        if numeric and _over(declared[0], limit):
            digits = declared[0].lstrip("0")
            shown = f"{int(digits):,}" if len(digits) <= 30 else f"a {len(digits):,}-digit number of"
            message = f"request body is {shown} bytes; the limit is {limit:,}"
            await self._refuse(send, 413, "payload_too_large", message, path)
            return
        if self.buffered + (int(declared[0]) if numeric else 0) > self.limits.buffered_bytes:
            await self._busy(send, path)
            return
        try:
            body = await asyncio.wait_for(self._body(receive), self.limits.body_timeout_s)
        except TimeoutError:
            message = f"the request body did not arrive within {self.limits.body_timeout_s:g} s"
            await self._refuse(send, 408, "request_timeout", message, path)
            return
        if body is None:  # the client went away
            return
        if isinstance(body, _TooLarge):
            message = f"request body is over the limit of {limit:,} bytes"
            await self._refuse(send, 413, "payload_too_large", message, path)
            return
        if self.buffered + len(body) > self.limits.buffered_bytes:  # a chunked body, known only now
            await self._busy(send, path)
            return
        self.buffered += len(body)
        try:
            await self._dispatch(self._environ(scope, headers, body, received), send, received)
        finally:
            self.buffered -= len(body)

    async def _dispatch(self, environ: dict[str, Any], send: Any, received: float) -> None:
        lane = self.lane(environ)
        if lane == "inline":
            await self._send(send, *self._run(environ))
            return
        if lane == "work":
            refusal = self.admit(environ)
            if refusal is not None:
                await self._send(send, *refusal)
                return
        loop = asyncio.get_running_loop()
        executor = self.light_executor if lane == "light" else self.executor
        future = loop.run_in_executor(executor, self._run, environ)
        within = self.limits.answer_within_s
        if within is None:
            await self._send(send, *await future)
            return
        try:
            answer = await asyncio.wait_for(asyncio.shield(future), max(0.0, within - (loop.time() - received)))
        except TimeoutError:
            future.cancel()  # dropped if it has not started; a call under way finishes on its own
            message = f"no answer within {within:g} s of the request"
            await self._refuse(send, 504, "timeout", message, environ.get("PATH_INFO", ""))
            return
        await self._send(send, *answer)

    async def _busy(self, send: Any, path: str) -> None:
        mb = self.limits.buffered_bytes / 2**20
        message = f"this server holds {mb:.0f} MB of requests already; retry in a second"
        await self._refuse(send, 503, "busy", message, path, [("Retry-After", "1")])

    async def _refuse(
        self, send: Any, status: int, code: str, message: str, path: str, extra: Headers | None = None
    ) -> None:
        headers, body = self.error(status, code, message, path)
        await self._send(send, status, [*headers, *(extra or [])], body, close=True)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.executor.shutdown(wait=False, cancel_futures=True)
                self.light_executor.shutdown(wait=False, cancel_futures=True)
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
    def _environ(scope: dict[str, Any], headers: list[tuple[str, str]], body: bytes, received: float) -> dict[str, Any]:
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
            RECEIVED: received,
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
            message = "something went wrong on our side; try again"
            headers, payload = self.error(500, "internal_error", message, environ.get("PATH_INFO", ""))
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
    """gunicorn's HTTP/1 protocol with a deadline for every request's headers, a connection cap, no
    WebSocket, and JSON errors."""

    header_timeout_s = 10.0
    max_connections = 256
    error: ErrorFormatter = staticmethod(json_error)

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._header_deadline: asyncio.TimerHandle | None = None
        self.worker.guarded.add(self)
        if self.worker.nr_conns > self.max_connections:  # gunicorn counted it: refuse at once
            self._refuse(
                503, "busy", f"this server holds its {self.max_connections} connections; retry", [("Retry-After", "1")]
            )
            self._close_transport()
            return
        self._arm_header_deadline()

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.worker.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def data_received(self, data: bytes) -> None:
        if self._awaiting_request and data:  # the first bytes of the next request on a kept-alive connection
            self._arm_header_deadline()
        try:
            super().data_received(data)
        except ValueError:  # gunicorn's int() on a header of thousands of digits (e.g. Content-Length)
            if not self._closed:
                self._refuse(400, "bad_request", "a header holds a number too long to read (over 4,300 digits)")
                self._close_transport()

    def _on_headers_complete(self) -> Any:
        self._disarm_header_deadline()
        return super()._on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        self.worker.guarded.discard(self)
        super().connection_lost(exc)

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self._closed:
            message = f"the request headers did not arrive within {self.header_timeout_s:g} s"
            self._refuse(408, "request_timeout", message)
            self._close_transport()

    async def _handle_websocket(self, request: Any, sockname: Any, peername: Any) -> None:
        """No server of ours speaks WebSocket: a JSON 400 in the application's shape, not gunicorn's 403."""
        path = getattr(request, "path", "") or ""
        self._refuse(400, "upgrade_not_supported", "this server does not upgrade connections (WebSocket)", path=path)
        self._close_transport()

    @property
    def idle(self) -> bool:
        """Kept alive between requests, with nothing of ours in flight."""
        return bool(self._awaiting_request) and not self._finishing_calls

    def _send_error_response(self, status: int, message: str, extra_headers: Iterable[tuple[str, str]] = ()) -> None:
        """gunicorn's own refusals (the parser's), in our shape: a message that names the problem."""
        text = (message or reason(status)).strip()
        if status == 400 and text and " " not in text:  # the parser's bare token, e.g. a bad header name
            text = f"malformed request: {text!r} is not valid here (a header name, method or chunk)"
        self._refuse(status, _CODES.get(status, "bad_request"), text, list(extra_headers))

    def _refuse(self, status: int, code: str, message: str, extra: Headers | None = None, path: str = "") -> None:
        headers, body = self.error(status, code, message, path)
        fields = [*headers, *(extra or []), ("Content-Length", str(len(body))), ("Connection", "close")]
        head = f"HTTP/1.1 {status} {reason(status)}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"
        self._safe_write(head.encode("latin-1"))
        self._safe_write(body)


class Worker(gasgi.ASGIWorker):  # type: ignore[misc]
    """gunicorn's asyncio worker speaking through GuardedProtocol, quick to stop when idle."""

    def init_process(self) -> None:
        # The worker builds its protocol by this module-level name; in this (worker) process it is ours.
        gasgi.ASGIProtocol = GuardedProtocol
        self.guarded: set[GuardedProtocol] = set()
        super().init_process()

    def run(self) -> None:
        """gunicorn's loop, then out at once: the interpreter's own teardown of everything a server
        loaded (ONNX Runtime's environment among it) took most of a second per worker, for nothing."""
        super().run()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    def handle_exit_signal(self) -> None:
        """SIGTERM: stop now, not at the next heartbeat (gunicorn's loop sleeps a second between them)."""
        super().handle_exit_signal()
        if not self.servers:  # still starting: gunicorn's loop will see `alive` is off
            return
        for task in asyncio.all_tasks(self.loop):
            if getattr(task.get_coro(), "__name__", "") == "_serve":
                task.cancel()  # its heartbeat sleep ends; gunicorn's own shutdown follows

    async def _shutdown(self) -> None:
        for protocol in list(self.guarded):
            if protocol.idle:  # kept alive, nothing in flight: nothing to wait for
                with contextlib.suppress(Exception):
                    protocol._close_transport()
        if any(not p.idle for p in self.guarded):
            await super()._shutdown()  # gunicorn's: up to graceful_timeout for the requests in flight
            return
        for server in self.servers:  # idle: no waiting on the listeners either
            server.close()
        if self.lifespan:
            with contextlib.suppress(Exception):
                await self.lifespan.shutdown()


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
    GuardedProtocol.max_connections = limits.max_connections
    GuardedProtocol.error = staticmethod(error)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": f"{__name__}.Worker",
        "worker_connections": limits.max_connections,
        "timeout": max(30, int(limits.body_timeout_s) * 2),  # worker heartbeat; the loop never blocks long
        "graceful_timeout": limits.graceful_timeout_s,
        "keepalive": keepalive_s,  # longer than boto3's idle connection reuse
        "asgi_lifespan": "on",
        "control_socket_disable": True,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": name,
    }
    _Gunicorn(lambda: BufferedWSGI(load_app(), limits, error), options).run()
