"""The API Gateway stand-in: REST proxy events to the template's functions, and the website.

Requests for a route of template.yaml become API Gateway REST proxy events (payload 1.0) and go
to the function's real handler; the proxy result goes back as the HTTP response. A route the
API lacks gets the template's own MISSING_AUTHENTICATION_TOKEN gateway response. Other GET
requests are served from static/, with `config.js` written from the stack's API URL.

Lanes (`sentiment.web.server`): static files and the gateway's own answers on the event loop; the
health check and CORS preflights on a lane and a function instance of their own, so a monitor sees
the stack alive while every instance scores (on AWS they share the function's concurrency, which
scales far past ours); everything else queues for one of the `concurrency` instances, and API
Gateway's 29 s count from the request's arrival, the wait for a thread and an instance included.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
import uuid
from collections.abc import Iterable
from email.utils import formatdate
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from sentiment.local.lambda_runtime import INTEGRATION_TIMEOUT_S, FunctionPool, IntegrationTimeoutError
from sentiment.local.template import Api, resolve
from sentiment.web.server import RECEIVED
from sentiment.web.site import CONFIG_JS, content_type

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload limit
MAX_STATIC_PATH = 1024  # no file of the site has a longer path
STAGE = "local"
StartResponse = Any


def proxy_event(
    method: str, path: str, headers: dict[str, str], body: bytes | None, query: str = "", source_ip: str = "127.0.0.1"
) -> dict[str, Any]:
    """An API Gateway REST proxy event (payload format 1.0), as the Lambda receives it."""
    text: str | None = None
    encoded = False
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode("ascii"), True
    multi_query = parse_qs(query, keep_blank_values=True) if query else {}
    now = time.time()
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": dict(headers) or None,
        "multiValueHeaders": {name: [value] for name, value in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTime": formatdate(now, usegmt=True),
            "requestTimeEpoch": int(now * 1000),
            "accountId": "000000000000",
            "apiId": "local",
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent")},
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def _headers_of(environ: dict[str, Any]) -> dict[str, str]:
    headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")}
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers[name] = environ[key]
    return headers


class GatewayErrors:
    """API Gateway's own responses as the template declares them, resolved for the local stack: the
    body template with $context.error.messageString filled in, and the type's own headers."""

    def __init__(self, api: Api, parameters: dict[str, str], conditions: dict[str, bool]) -> None:
        self.api, self.parameters, self.conditions = api, parameters, conditions

    def __call__(self, kind: str, message: str = "", status: int | None = None) -> tuple[int, dict[str, str], bytes]:
        response = self.api.gateway_response(kind)
        body = response.body.replace("$context.error.messageString", json.dumps(message or kind.lower()))
        if not body:
            body = json.dumps({"error": {"code": kind.lower(), "message": message or kind.lower()}})
        headers = {name: resolve(value, self.parameters, self.conditions) for name, value in response.headers.items()}
        return status or response.status, {"Content-Type": "application/json", **headers}, body.encode()

    def for_server(self, status: int, code: str, message: str, path: str = "") -> tuple[list[tuple[str, str]], bytes]:
        """What the HTTP front answers for a request it refuses itself (too large, malformed, too slow,
        busy): the gateway response of its type, with its headers; where that type is the default one,
        its body carries the front's own code (431 `headers_too_large`, 408 `request_timeout`, ...)."""
        kind = {413: "REQUEST_TOO_LARGE", 504: "INTEGRATION_TIMEOUT"}.get(
            status, "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        )
        _, headers, body = self(kind, message, status if kind.startswith("DEFAULT") else None)
        if kind.startswith("DEFAULT"):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                document = json.loads(body)
                document["error"]["code"] = code
                body = json.dumps(document).encode()
        return list(headers.items()), body


CONTROL_ROUTES = (("GET", "/health"), ("OPTIONS", None))  # (method, path; None: any route)


class Gateway:
    """WSGI app: the API routes of template.yaml, then the website in `static_dir`."""

    def __init__(
        self,
        api: Api,
        pools: dict[str, FunctionPool],
        static_dir: Path,
        config_js: str,
        errors: GatewayErrors,
        control_pools: dict[str, FunctionPool] | None = None,
    ) -> None:
        self.api, self.pools, self.errors = api, pools, errors
        self.control_pools = control_pools or pools  # an instance each for the health check and preflights
        self.api_paths = api.paths()  # a GET for one of them with another method is a gateway 404
        self.static_dir = static_dir.resolve()
        self.config_js = config_js.encode()

    @staticmethod
    def _control(method: str, path: str) -> bool:
        return any(method == m and p in (None, path) for m, p in CONTROL_ROUTES)

    def lane(self, environ: dict[str, Any]) -> str:
        """ "work" for a function route, "light" for the health check and preflights, "inline" for the rest
        (static files and the gateway's own answers take no instance)."""
        method, path = environ["REQUEST_METHOD"].upper(), environ.get("PATH_INFO") or "/"
        if (method, path) not in self.api.routes:
            return "inline"
        return "light" if self._control(method, path) else "work"

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"].upper(), environ.get("PATH_INFO") or "/"
        spec = self.api.routes.get((method, path))
        if spec is not None:
            return self._invoke(spec.name, method, path, environ, start_response)
        if method in ("GET", "HEAD") and path not in self.api_paths:
            found = self._static(path)
            if found is not None:
                body, kind = found
                headers = {"Content-Type": kind, **self.api.website_headers}  # what CloudFront adds
                return _reply(start_response, 200, body if method == "GET" else b"", headers)
        return self._gateway_error(start_response, "MISSING_AUTHENTICATION_TOKEN")

    def _invoke(
        self, function: str, method: str, path: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        body = environ["wsgi.input"].read()  # the front has read it whole, within its limits
        if len(body) > MAX_PAYLOAD_BYTES:
            return self._gateway_error(start_response, "REQUEST_TOO_LARGE")
        event = proxy_event(
            method,
            path,
            _headers_of(environ),
            body,
            environ.get("QUERY_STRING", ""),
            environ.get("REMOTE_ADDR", "127.0.0.1"),
        )
        pools = self.control_pools if self._control(method, path) else self.pools
        waited = time.monotonic() - environ.get(RECEIVED, time.monotonic())
        try:
            if waited >= INTEGRATION_TIMEOUT_S:
                raise IntegrationTimeoutError(f"the request waited {waited:.0f} s for a thread")
            result = pools[function].invoke(event, INTEGRATION_TIMEOUT_S - waited)
            status = int(result["statusCode"])
            raw = result.get("body") or ""
            payload = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode("utf-8")
        except IntegrationTimeoutError:  # 29 s passed, the wait for a free function instance included
            return self._gateway_error(start_response, "INTEGRATION_TIMEOUT")
        except Exception:  # the function crashed, timed out, answered over 6 MB or returned nonsense
            return self._gateway_error(start_response, "DEFAULT_5XX", "Internal server error", 502)
        headers = {name: ", ".join(values) for name, values in (result.get("multiValueHeaders") or {}).items()}
        headers.update(result.get("headers") or {})
        return _reply(start_response, status, payload, headers)

    def _gateway_error(
        self, start_response: StartResponse, kind: str, message: str = "", status: int | None = None
    ) -> Iterable[bytes]:
        code, headers, body = self.errors(kind, message, status)
        return _reply(start_response, code, body, headers)

    def _static(self, path: str) -> tuple[bytes, str] | None:
        if path == "/config.js":
            return self.config_js, content_type(CONFIG_JS)
        if "\x00" in path or len(path) > MAX_STATIC_PATH or any(len(part) > 255 for part in path.split("/")):
            return None  # no file has such a name: the gateway's 404
        relative = "index.html" if path.endswith("/") else path.lstrip("/")
        try:
            target = (self.static_dir / relative).resolve()
        except (OSError, ValueError):
            return None
        if not target.is_relative_to(self.static_dir) or not target.is_file():
            return None
        return target.read_bytes(), content_type(target.name)


def _reply(start_response: StartResponse, status: int, body: bytes, headers: dict[str, str]) -> list[bytes]:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "connection")}
    headers.setdefault("Cache-Control", "no-store")
    start_response(f"{status} {reason}", [*headers.items(), ("Content-Length", str(len(body)))])
    return [body]
