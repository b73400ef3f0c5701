"""The model server: SageMaker's container contract over HTTP, same code locally and in the container.

- `GET /ping`: 200 once the model is loaded.
- `GET /execution-parameters`: what Batch Transform asks before it sends work (concurrency, batch
  strategy, largest payload), consistent with the limits of `sentiment.serving.handlers`.
- `POST /invocations`: the four handler functions; errors are JSON with their own status.
- `POST /endpoints/{name}/invocations`: the SageMaker *runtime* path, so boto3's
  `sagemaker-runtime` `invoke_endpoint`, pointed here with AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME,
  works unchanged. Like the real service, a container error comes back as `ModelError`
  (HTTP 424) carrying the container's status and body as OriginalStatusCode/OriginalMessage.

A plain WSGI app; `sentiment.serving.main` serves it with gunicorn (one worker process per core, one
ONNX Runtime thread each), whose asyncio front reads every request whole, within time and size limits,
before it reaches this app.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from sentiment.core import config
from sentiment.core.errors import HttpError, SentimentError
from sentiment.scoring.chunks import ServableModel
from sentiment.serving.admission import BYTES_PER_ID, DEADLINE_S, Admission, measure_cost
from sentiment.serving.handlers import (
    JSON,
    MAX_PAYLOAD_BYTES,
    EndpointError,
    RowLimits,
    input_fn,
    model_fn,
    output_fn,
    predict_fn,
)
from sentiment.web.server import RECEIVED

log = logging.getLogger(__name__)
StartResponse = Callable[..., Any]
_RUNTIME_PATH = re.compile(r"^/endpoints/(?P<name>[A-Za-z0-9](?:-*[A-Za-z0-9])*)/invocations$")
_DRAIN_LIMIT = 4 * MAX_PAYLOAD_BYTES
_TICKET = "sentiment.admission"  # environ key: the invocation's admission ticket
INLINE_BODY_BYTES = 4096  # invocations this small (a review or two) are scored on the event loop
_STATUS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    424: "Failed Dependency",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ModelServer:
    """WSGI application around one loaded model, with the lanes and admission of `sentiment.web.server`:
    /ping, /execution-parameters and small invocations run on the event loop (they never wait behind
    heavy work), every other invocation is admitted only when this worker can finish it in time
    (`sentiment.serving.admission`), else refused at once with 503 and Retry-After."""

    def __init__(
        self, model: ServableModel, variant: str | None = None, workers: int = 1, deadline_s: float = DEADLINE_S
    ) -> None:
        self.model = model
        self.limits = RowLimits.of(model)
        self.variant = variant or os.environ.get(config.ENV_VARIANT_NAME, "AllTraffic")
        self.workers = workers
        self.admission = Admission(measure_cost(model.outputs), deadline_s)

    @classmethod
    def from_model_dir(cls, model_dir: str, workers: int = 1, deadline_s: float = DEADLINE_S) -> ModelServer:
        return cls(model_fn(model_dir), workers=workers, deadline_s=deadline_s)

    def execution_parameters(self) -> dict[str, Any]:
        """Batch Transform's defaults for this container: one request per worker at a time, as many
        records per request as fit in our body limit (whole MB, as SageMaker counts them)."""
        return {
            "MaxConcurrentTransforms": self.workers,
            "BatchStrategy": "MULTI_RECORD",
            "MaxPayloadInMB": MAX_PAYLOAD_BYTES // (1024 * 1024),
        }

    def lane(self, environ: dict[str, Any]) -> str:
        """On the event loop: the control routes, anything but an invocation, and invocations small enough
        to take about a millisecond; the rest queue for a thread."""
        path = environ.get("PATH_INFO", "")
        if path != "/invocations" and not _RUNTIME_PATH.match(path):
            return "inline"
        return "inline" if int(environ.get("CONTENT_LENGTH") or 0) <= INLINE_BODY_BYTES else "work"

    def admit(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """Before a queued invocation waits for a thread: reserve its work, guessed from its size."""
        size = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            environ[_TICKET] = self.admission.reserve(self.admission.cost.seconds(size // BYTES_PER_ID, False, size))
        except EndpointError as exc:
            answer: list[bytes] = []
            captured: dict[str, Any] = {}

            def start_response(status: str, headers: list[tuple[str, str]]) -> None:
                captured["status"], captured["headers"] = int(status.split(" ", 1)[0]), headers

            answer.extend(self._error(start_response, exc, bool(_RUNTIME_PATH.match(environ.get("PATH_INFO", "")))))
            return captured["status"], captured["headers"], b"".join(answer)
        return None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if path == "/ping":
            if method not in ("GET", "HEAD"):
                return self._error(start_response, EndpointError(405, "method_not_allowed", "use GET /ping"))
            body = {"status": "healthy", "model": self.model.name, "version": self.model.version}
            return _reply(start_response, 200, json.dumps(body).encode(), JSON)
        if path == "/execution-parameters":
            if method not in ("GET", "HEAD"):
                return self._error(start_response, EndpointError(405, "method_not_allowed", f"use GET {path}"))
            return _reply(start_response, 200, json.dumps(self.execution_parameters()).encode(), JSON)
        runtime = _RUNTIME_PATH.match(path)
        if path == "/invocations" or runtime:
            if method != "POST":
                return self._error(start_response, EndpointError(405, "method_not_allowed", f"use POST {path}"))
            return self._invoke(environ, start_response, runtime is not None)
        return self._error(start_response, EndpointError(404, "not_found", f"no route for {method} {path}"))

    def _invoke(self, environ: dict[str, Any], start_response: StartResponse, runtime: bool) -> Iterable[bytes]:
        started = time.perf_counter()
        ticket = environ.get(_TICKET)
        try:
            body = _read_body(environ)
            attributes = environ.get("HTTP_X_AMZN_SAGEMAKER_CUSTOM_ATTRIBUTES")
            batch = input_fn(body, environ.get("CONTENT_TYPE"), attributes, self.limits)
            ids = int(batch.lengths.sum())
            if ticket is not None:  # its real work, now that it is parsed
                waited = time.monotonic() - environ.get(RECEIVED, time.monotonic())
                self.admission.revise(ticket, self.admission.cost.seconds(ids, batch.explain), waited)
            scoring = time.perf_counter()
            prediction = predict_fn(batch, self.model)
            self.admission.cost.observe(ids, batch.explain, time.perf_counter() - scoring)
            payload, content_type = output_fn(prediction, environ.get("HTTP_ACCEPT"))
        except EndpointError as exc:
            return self._error(start_response, exc, runtime)
        except (SentimentError, ValueError, RuntimeError) as exc:  # a bug of ours, never the caller's data
            log.exception("invocation failed")
            return self._error(
                start_response, EndpointError(500, "internal_error", f"the model failed: {type(exc).__name__}"), runtime
            )
        finally:
            if ticket is not None:
                self.admission.release(ticket)
        log.debug("scored %d bytes in %.1f ms", len(body), 1000 * (time.perf_counter() - started))
        headers = [("X-Amzn-Invoked-Production-Variant", self.variant)] if runtime else []
        return _reply(start_response, 200, payload, content_type, headers)

    def _error(self, start_response: StartResponse, exc: EndpointError, runtime: bool = False) -> Iterable[bytes]:
        status, headers, body = error_answer(exc, runtime)
        start_response(f"{status} {_STATUS.get(status, 'Error')}", [("Content-Length", str(len(body))), *headers])
        return [body]


def error_answer(exc: HttpError, runtime: bool = False) -> tuple[int, list[tuple[str, str]], bytes]:
    """A refusal as this server answers it: JSON with its status, or, on the SageMaker runtime path, what
    SageMaker's runtime answers when the container returns an error: ModelError (424) carrying the
    container's status and body as OriginalStatusCode / OriginalMessage."""
    body = json.dumps(exc.to_json())
    extra = [("Retry-After", str(exc.retry_after))] if exc.retry_after else []
    if not runtime or exc.status in (404, 405):
        return exc.status, [("Content-Type", JSON), *extra], body.encode()
    kind = "client" if exc.status < 500 else "server"
    wrapped = {
        "__type": "ModelError",
        "message": f'Received {kind} error ({exc.status}) from model with message "{body}"',
        "OriginalStatusCode": exc.status,
        "OriginalMessage": body,
    }
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", "ModelError"), *extra]
    return 424, headers, json.dumps(wrapped).encode()


def front_error(status: int, code: str, message: str, path: str = "") -> tuple[list[tuple[str, str]], bytes]:
    """What the HTTP front answers for a request it refuses itself (too large, too slow, busy), in the
    same shapes: ModelError on the runtime path, so boto3 shows the code and message there too."""
    _, headers, body = error_answer(HttpError(status, code, message), bool(_RUNTIME_PATH.match(path)))
    return headers, body


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise EndpointError(400, "bad_content_length", "Content-Length is not a number") from None
    if size > MAX_PAYLOAD_BYTES:  # behind our front, never: it refuses first; behind another, read it away
        if size <= _DRAIN_LIMIT:  # so the client is not cut off mid-send and sees the 413
            remaining = size
            while remaining > 0 and (chunk := environ["wsgi.input"].read(min(remaining, 1 << 20))):
                remaining -= len(chunk)
        message = f"request body is {size:,} bytes; the limit is {MAX_PAYLOAD_BYTES:,}"
        raise EndpointError(413, "payload_too_large", message)
    return environ["wsgi.input"].read(size) if size else b""


def _reply(
    start_response: StartResponse,
    status: int,
    body: bytes,
    content_type: str,
    headers: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    start_response(
        f"{status} {_STATUS.get(status, 'Error')}",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), *(headers or [])],
    )
    return [body]
