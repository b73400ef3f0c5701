"""Run the model server: `sentiment serve` locally, `serve` in the SageMaker container (model/serve).

gunicorn runs one worker process per core (SENTIMENT_SERVER_WORKERS, or SageMaker's
SAGEMAKER_MODEL_SERVER_WORKERS), each with the model's graphs loaded once and one ONNX Runtime thread
(SENTIMENT_SCORING_THREADS); requests are
read whole by gunicorn's asyncio worker before they reach the handlers (`sentiment.web.server`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from sentiment.core import config
from sentiment.core.arguments import non_negative_int, port, positive_float, run_command
from sentiment.core.errors import ConfigError
from sentiment.core.lifetime import exit_after
from sentiment.scoring.manifest import read_manifest
from sentiment.serving.admission import DEADLINE_S
from sentiment.serving.app import ModelServer, front_error
from sentiment.serving.handlers import MAX_PAYLOAD_BYTES
from sentiment.web.ports import port_is_free
from sentiment.web.server import Limits, serve

LIMITS = Limits(max_body_bytes=MAX_PAYLOAD_BYTES, header_timeout_s=10.0, body_timeout_s=20.0, threads=4)


def worker_count(requested: int = 0) -> int:
    for name in (config.ENV_SERVER_WORKERS, config.ENV_SAGEMAKER_SERVER_WORKERS):
        text = os.environ.get(name, "")
        if text and not requested:
            if not text.isdigit() or int(text) < 1:
                raise ConfigError(f"{name} must be a whole number of workers, not {text!r}")
            requested = int(text)
    return requested or os.cpu_count() or 1


def run_server(
    model_dir: str, host: str = "127.0.0.1", port_number: int = 8080, workers: int = 0, deadline_s: float = 0.0
) -> None:
    """Serve until interrupted; the model is loaded once in each worker as it starts."""
    if not port_is_free(host, port_number):
        raise ConfigError(f"port {port_number} on {host} is already in use: stop what runs there or pass --port")
    read_manifest(model_dir).graph_paths()  # fail here, with our message, if the artifact cannot be served
    print(f"model server on http://{host}:{port_number} (model {model_dir}); Ctrl-C stops it", flush=True)
    count = worker_count(workers)
    deadline = deadline_s or float(os.environ.get(config.ENV_INVOCATION_DEADLINE, DEADLINE_S))
    serve(
        lambda: ModelServer.from_model_dir(model_dir, count, deadline),
        host,
        port_number,
        count,
        LIMITS,
        "sentiment-model-server",
        error=front_error,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default_dir = os.environ.get(config.ENV_SM_MODEL_DIR, str(config.SHIPPED_MODEL_DIR))
    parser.add_argument(
        "--model-dir",
        default=default_dir,
        help=f"artifact folder (default: ${config.ENV_SM_MODEL_DIR} or model/artifact)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (0.0.0.0 in a container)")
    parser.add_argument("--port", type=port, default=8080)
    parser.add_argument("--workers", type=non_negative_int, default=0, help="worker processes (0: one per core)")
    parser.add_argument(
        "--deadline",
        type=positive_float,
        default=0.0,
        help=f"seconds an invocation must be answered in (default ${config.ENV_INVOCATION_DEADLINE} or "
        f"{DEADLINE_S:g}, SageMaker's): heavier work is refused at once with 503 and Retry-After",
    )


def run(args: argparse.Namespace) -> int:
    run_server(args.model_dir, args.host, args.port, args.workers, args.deadline)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The container's entry point (model/serve): the artifact in /opt/ml/model, port 8080."""
    parser = argparse.ArgumentParser(prog="serve", description="the SageMaker model server")
    add_arguments(parser)
    # String defaults go through the options' types, so a bad SAGEMAKER_BIND_TO_PORT gets a clear message.
    parser.set_defaults(
        model_dir=os.environ.get(config.ENV_SM_MODEL_DIR, config.CONTAINER_MODEL_DIR),
        host="0.0.0.0",
        port=os.environ.get(config.ENV_SAGEMAKER_PORT, "8080"),
    )
    args = parser.parse_args(argv)
    exit_after(lambda: run_command("serve", run, args))
