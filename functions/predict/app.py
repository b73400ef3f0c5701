"""The prediction API's Lambda handler: POST /predict and GET /health (thin; the logic is sentiment.api.service).

The preprocessing layer carries the `sentiment` package's torch-free modules and the served
model's word dictionary; this file only wires them to API Gateway with Powertools.
"""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from sentiment.api import request, service
from sentiment.api.endpoint_client import EndpointClient
from sentiment.core import config
from sentiment.core.errors import HttpError

logger = Logger()
metrics = Metrics()
tracer = Tracer()  # X-Ray on AWS; POWERTOOLS_TRACE_DISABLED=true locally
# Loaded once per container, reused by every request it serves.
MODEL = service.ServedModel.load(config.served_model_dir())
ENDPOINT = EndpointClient.from_environment()
CORS = CORSConfig(allow_origin=os.environ[config.ENV_ALLOWED_ORIGIN], allow_headers=["Content-Type"], max_age=600)
app = APIGatewayRestResolver(cors=CORS)


@app.post("/predict")
def predict() -> dict[str, Any]:
    event = app.current_event
    body = base64.b64decode(event.body or "") if event.is_base64_encoded else event.body
    reviews = request.parse_request(body, event.headers.get("content-type"))
    answer = service.score_reviews(reviews, MODEL.word_dict, MODEL.sequence_length, invoke_endpoint)
    results = answer.get("results", [answer])
    truncated = sum(1 for r in results if r.get("truncated"))
    metrics.add_metric(name="ReviewsScored", unit=MetricUnit.Count, value=len(results))
    metrics.add_metric(name="TruncatedReviews", unit=MetricUnit.Count, value=truncated)
    tracer.put_annotation("reviews", len(results))
    tracer.put_annotation("truncated", truncated)
    return answer


def invoke_endpoint(body: bytes) -> dict[str, Any]:
    """The model endpoint's answer, within what is left of this invocation's time (an X-Ray subsegment
    annotated with the endpoint and the variant that answered)."""
    with tracer.provider.in_subsegment("## invoke_endpoint") as subsegment:
        subsegment.put_annotation("endpoint", ENDPOINT.endpoint_name)
        started = time.perf_counter()
        answer = ENDPOINT.invoke(body, app.lambda_context.get_remaining_time_in_millis() / 1000)
        subsegment.put_annotation("variant", str(answer.get("variant")))
    metrics.add_metric(
        name="EndpointMilliseconds", unit=MetricUnit.Milliseconds, value=(time.perf_counter() - started) * 1000
    )
    return answer


@app.get("/health")
def health() -> dict[str, Any]:
    return {
        "status": "ok",
        "endpoint": ENDPOINT.endpoint_name,
        "vocab_sha256": MODEL.word_dict.sha256,
        "sequence_length": MODEL.sequence_length,
        "limits": request.LIMITS,
    }


@app.exception_handler(HttpError)
def refused(error: HttpError) -> Response[str]:
    logger.info("request refused", extra={"status": error.status, "code": error.code})
    metrics.add_metric(name=f"Status{error.status}", unit=MetricUnit.Count, value=1)
    return _json_error(error)


@app.not_found
def not_found(_: NotFoundError) -> Response[str]:
    event = app.current_event
    message = f"no route for {event.http_method} {event.path}; the API has POST /predict and GET /health"
    return _json_error(HttpError(404, "not_found", message))


@app.exception_handler(Exception)
def failed(_: Exception) -> Response[str]:
    logger.exception("unexpected failure")
    return _json_error(HttpError(500, "internal_error", "something went wrong on our side; try again"))


def _json_error(error: HttpError) -> Response[str]:
    return Response(error.status, "application/json", json.dumps(error.to_json()))


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    response = app.resolve(event, context)
    response.setdefault("multiValueHeaders", {})["X-Content-Type-Options"] = ["nosniff"]
    return response
