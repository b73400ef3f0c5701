"""Call the model endpoint (SageMaker runtime InvokeEndpoint) within the function's time and with clear failures.

Each call is budgeted by what is left of the Lambda's own time (`remaining_s`, from the context),
less a margin to answer: a slow endpoint (a serverless endpoint's cold start is normal) gets the
documented 504 `model_timeout` before Lambda would stop the function and API Gateway answer a
bare 502. botocore's standard retry mode retries only what is retryable (throttling, transient
5xx, connection errors), never a model's 4xx, and only while the budget lasts. Every failure
becomes a ServiceError with the status the public API documents: 429 throttled, 502 the model
answered badly, 503 unavailable, 504 too slow.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from sentiment.api.request import JSON, ServiceError
from sentiment.core import config
from sentiment.core.errors import ConfigError

CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 25.0  # at most; each call gets what the function's remaining time allows
MAX_ATTEMPTS = 2
ANSWER_MARGIN_S = 1.5  # of the function's time, kept to answer once the endpoint has not
_UNAVAILABLE = {"ValidationError", "ServiceUnavailable", "InternalFailure", "ModelNotReadyException"}
_THROTTLED = {"ThrottlingException", "TooManyRequestsException", "Throttling"}


class EndpointClient:
    """One SageMaker endpoint; create once per Lambda container (module level), reuse per request."""

    def __init__(
        self,
        endpoint_name: str,
        client: Any = None,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        read_timeout: float = READ_TIMEOUT_S,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.endpoint_name = endpoint_name
        # Calls run here so that one can be abandoned when the budget ends (botocore's own timeouts end it).
        self._calls = ThreadPoolExecutor(4, thread_name_prefix="invoke-endpoint")
        self.client = client or boto3.client(
            "sagemaker-runtime",
            config=Config(
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"mode": "standard", "max_attempts": max_attempts},
            ),
        )

    @classmethod
    def from_environment(cls) -> EndpointClient:
        """The endpoint and timeouts the function's environment names (see config.ENV_ENDPOINT_*)."""

        def number(name: str, default: float) -> float:
            text = os.environ.get(name)
            try:
                value = float(text) if text else default
            except ValueError:
                raise ConfigError(f"{name} must be a number of seconds, not {text!r}") from None
            if value <= 0:
                raise ConfigError(f"{name} must be above 0, not {text!r}")
            return value

        name = os.environ.get(config.ENV_ENDPOINT_NAME)
        if not name:
            raise ConfigError(f"{config.ENV_ENDPOINT_NAME} is not set: the function does not know its endpoint")
        return cls(
            name,
            connect_timeout=number(config.ENV_ENDPOINT_CONNECT_TIMEOUT, CONNECT_TIMEOUT_S),
            read_timeout=number(config.ENV_ENDPOINT_READ_TIMEOUT, READ_TIMEOUT_S),
            max_attempts=int(number(config.ENV_ENDPOINT_MAX_ATTEMPTS, MAX_ATTEMPTS)),
        )

    def invoke(self, body: bytes, remaining_s: float | None = None) -> dict[str, Any]:
        """The endpoint's JSON answer, plus the production variant that answered; `remaining_s`: the
        function's time left (the call gets that less ANSWER_MARGIN_S)."""
        budget = None if remaining_s is None else remaining_s - ANSWER_MARGIN_S
        if budget is not None and budget <= 0:
            raise _too_slow()
        call = self._calls.submit(self._invoke, body)
        try:
            return call.result(timeout=budget)
        except FutureTimeout:
            raise _too_slow() from None

    def _invoke(self, body: bytes) -> dict[str, Any]:
        try:
            response = self.client.invoke_endpoint(
                EndpointName=self.endpoint_name, ContentType=JSON, Accept=JSON, Body=body
            )
            payload = json.loads(response["Body"].read())
        except ReadTimeoutError:
            raise _too_slow() from None
        except (EndpointConnectionError, ConnectTimeoutError, ConnectionClosedError):
            raise ServiceError(
                503, "model_unavailable", "the model endpoint cannot be reached; try again later"
            ) from None
        except ClientError as exc:
            raise _client_error(exc) from None
        except (ValueError, KeyError):
            raise ServiceError(
                502, "bad_model_response", "the model answered with something that is not JSON"
            ) from None
        if not isinstance(payload, dict) or not isinstance(payload.get("predictions"), list):
            raise ServiceError(502, "bad_model_response", "the model's answer has no predictions")
        payload["variant"] = response.get("InvokedProductionVariant")
        return payload


def _too_slow() -> ServiceError:
    return ServiceError(504, "model_timeout", "the model did not answer in time; try again")


def _client_error(exc: ClientError) -> ServiceError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    if code in _THROTTLED:
        return ServiceError(429, "throttled", "too many requests right now; try again in a moment")
    if code == "ModelError":
        original = exc.response.get("OriginalStatusCode")
        if original == 409:
            return ServiceError(503, "model_mismatch", "the model and this service use different word dictionaries")
        return ServiceError(502, "model_error", f"the model failed to score the review (status {original})")
    if code in _UNAVAILABLE:
        return ServiceError(503, "model_unavailable", "the model endpoint is not available right now")
    return ServiceError(502, "model_error", f"the model endpoint failed ({code or 'unknown error'})")
