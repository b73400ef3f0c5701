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
from sentiment.core.errors import SentimentError
from sentiment.scoring.chunks import ServableModel
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

log = logging.getLogger(__name__)
StartResponse = Callable[..., Any]
_RUNTIME_PATH = re.compile(r"^/endpoints/(?P<name>[A-Za-z0-9](?:-*[A-Za-z0-9])*)/invocations$")
_DRAIN_LIMIT = 4 * MAX_PAYLOAD_BYTES
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
}


class ModelServer:
    """WSGI application around one loaded model."""

    def __init__(self, model: ServableModel, variant: str | None = None, workers: int = 1) -> None:
        self.model = model
        self.limits = RowLimits.of(model)
        self.variant = variant or os.environ.get(config.ENV_VARIANT_NAME, "AllTraffic")
        self.workers = workers

    @classmethod
    def from_model_dir(cls, model_dir: str, workers: int = 1) -> ModelServer:
        return cls(model_fn(model_dir), workers=workers)

    def execution_parameters(self) -> dict[str, Any]:
        """Batch Transform's defaults for this container: one request per worker at a time, as many
        records per request as fit in our body limit (whole MB, as SageMaker counts them)."""
        return {
            "MaxConcurrentTransforms": self.workers,
            "BatchStrategy": "MULTI_RECORD",
            "MaxPayloadInMB": MAX_PAYLOAD_BYTES // (1024 * 1024),
        }

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
        try:
            body = _read_body(environ)
            attributes = environ.get("HTTP_X_AMZN_SAGEMAKER_CUSTOM_ATTRIBUTES")
            batch = input_fn(body, environ.get("CONTENT_TYPE"), attributes, self.limits)
            payload, content_type = output_fn(predict_fn(batch, self.model), environ.get("HTTP_ACCEPT"))
        except EndpointError as exc:
            return self._error(start_response, exc, runtime)
        except (SentimentError, ValueError, RuntimeError) as exc:  # a bug of ours, never the caller's data
            log.exception("invocation failed")
            return self._error(
                start_response, EndpointError(500, "internal_error", f"the model failed: {type(exc).__name__}"), runtime
            )
        log.debug("scored %d bytes in %.1f ms", len(body), 1000 * (time.perf_counter() - started))
        headers = [("X-Amzn-Invoked-Production-Variant", self.variant)] if runtime else []
        return _reply(start_response, 200, payload, content_type, headers)

    def _error(self, start_response: StartResponse, exc: EndpointError, runtime: bool = False) -> Iterable[bytes]:
        body = json.dumps(exc.to_json())
        if not runtime or exc.status in (404, 405):
            return _reply(start_response, exc.status, body.encode(), JSON)
        # What SageMaker's runtime answers when the container returns an error.
        message = f'Received client error ({exc.status}) from model with message "{body}"'
        wrapped = {
            "__type": "ModelError",
            "message": message,
            "OriginalStatusCode": exc.status,
            "OriginalMessage": body,
        }
        return _reply(
            start_response,
            424,
            json.dumps(wrapped).encode(),
            "application/x-amz-json-1.1",
            [("x-amzn-ErrorType", "ModelError")],
        )


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise EndpointError(400, "bad_content_length", "Content-Length is not a number") from None
    if size > MAX_PAYLOAD_BYTES:
        if size <= _DRAIN_LIMIT:  # read it away, so the client is not cut off mid-send and sees the 413
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
