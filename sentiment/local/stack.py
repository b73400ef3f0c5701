"""`sentiment up`: the model server and the API Gateway stand-in with the website, on loopback.

The model server is the real one (a child process on --model-port). The Lambda handler is the
real one, from template.yaml's CodeUri, reaching the model server through boto3's SageMaker
runtime client (AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME), as it reaches SageMaker on AWS.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from sentiment.core import config
from sentiment.core.errors import ConfigError, SentimentError
from sentiment.core.lifetime import child_of_this_process
from sentiment.local.gateway import MAX_PAYLOAD_BYTES, Gateway, GatewayErrors
from sentiment.local.lambda_runtime import INTEGRATION_TIMEOUT_S, FunctionPool
from sentiment.local.processes import port_is_free, stop, wait_until_up
from sentiment.local.template import read_api, resolve
from sentiment.web.server import Limits, serve
from sentiment.web.site import config_js

log = logging.getLogger(__name__)
LOCAL_ENDPOINT_NAME = "sentiment-local"


@dataclass(frozen=True)
class StackOptions:
    host: str = "127.0.0.1"
    port: int = 3000
    model_port: int = 8080
    model_dir: Path = config.SHIPPED_MODEL_DIR
    template: Path = config.TEMPLATE
    static_dir: Path = config.STATIC_DIR
    concurrency: int = 4  # handler instances, like Lambda's concurrent executions
    endpoint_url: str | None = None  # an already running model server: do not start one
    model_workers: int = 0
    function_timeout: float | None = None  # seconds: instead of the template's Timeout (to try a timeout quickly)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def lambda_environment(options: StackOptions, endpoint_url: str) -> dict[str, str]:
    """What the template's parameters resolve to locally, plus boto3 pointed at the local endpoint."""
    return {
        config.ENV_ENDPOINT_NAME: LOCAL_ENDPOINT_NAME,
        config.ENV_ALLOWED_ORIGIN: options.url,
        config.ENV_SERVED_MODEL_DIR: str(options.model_dir),
        config.ENV_SAGEMAKER_RUNTIME_URL: endpoint_url,
        # Local only: requests are signed, never sent to AWS.
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        config.ENV_AWS_REGION: os.environ.get(config.ENV_AWS_REGION, "us-east-1"),
        "POWERTOOLS_METRICS_DISABLED": os.environ.get("POWERTOOLS_METRICS_DISABLED", "true"),
        "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here (Powertools' documented switch)
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }


def _parameters(options: StackOptions) -> tuple[dict[str, str], dict[str, bool]]:
    """The template's parameters and conditions as the local stack sets them: the website's origin is
    the stack's own URL (AllowedOrigin)."""
    return {"AllowedOrigin": options.url, "EndpointName": LOCAL_ENDPOINT_NAME}, {"OriginGiven": True}


def gateway_errors(options: StackOptions) -> GatewayErrors:
    return GatewayErrors(read_api(options.template), *_parameters(options))


def build_gateway(options: StackOptions, endpoint_url: str) -> Gateway:
    """Load the template's functions with the local environment; the website's config points here."""
    api = read_api(options.template)
    parameters, conditions = _parameters(options)
    local = lambda_environment(options, endpoint_url)
    functions = api.functions()
    for spec in functions.values():
        for name, value in spec.environment.items():
            local.setdefault(name, resolve(value, parameters, conditions))
    os.environ.update(local)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    if options.function_timeout:
        functions = {name: replace(spec, timeout=options.function_timeout) for name, spec in functions.items()}
    pools = {name: FunctionPool(spec, options.concurrency) for name, spec in functions.items()}
    control = {name: FunctionPool(spec, 1) for name, spec in functions.items()}  # health checks, preflights
    errors = GatewayErrors(api, parameters, conditions)
    return Gateway(api, pools, options.static_dir, config_js(options.url), errors, control)


def check_functions(options: StackOptions, endpoint_url: str) -> None:
    """Load every function of the template once, as its instances will load, so that a function that
    cannot start (an artifact without its word dictionary, say) is one line and exit status 2 here,
    before any URL is printed, never a worker that gunicorn starts again and again."""
    saved = dict(os.environ)
    try:
        build_gateway(replace(options, concurrency=1), endpoint_url)
    except SentimentError:
        raise
    except Exception as exc:  # the handler's own import failed: say what, in one line
        raise ConfigError(f"a function of {options.template.name} cannot start: {type(exc).__name__}: {exc}") from None
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _check_port(host: str, port: int, what: str, option: str) -> None:
    if not port_is_free(host, port):
        raise ConfigError(f"port {port} on {host} is already in use ({what}): stop what runs there or pass {option}")


def start_model_server(options: StackOptions, deadline_s: float) -> subprocess.Popen[bytes]:
    """The model server as a child that dies with this process, whatever ends it (SIGKILL included:
    the kernel sends it SIGTERM then), in a session of its own (Ctrl-C reaches it through us)."""
    command = [
        sys.executable,
        "-m",
        "sentiment.cli",
        "serve",
        "--model-dir",
        str(options.model_dir),
        "--host",
        options.host,
        "--port",
        str(options.model_port),
        "--deadline",
        f"{deadline_s:g}",
    ]
    if options.model_workers:
        command += ["--workers", str(options.model_workers)]
    return subprocess.Popen(command, start_new_session=True, preexec_fn=child_of_this_process())


def run_stack(options: StackOptions) -> None:
    """Start everything, print the URL, serve until Ctrl-C or SIGTERM, then stop everything.

    The website and API are served by the same HTTP front as the model server (gunicorn's asyncio
    worker, `sentiment.web.server`): whole requests within time and size limits, a cap on
    connections, JSON errors in API Gateway's shape, an answer within API Gateway's 29 s. One worker
    process holds the function instances. The model server's deadline is the function's timeout:
    what it could not answer in that time, the function would never read.
    """
    _check_port(options.host, options.port, "the website and API", "--port")
    model_server: subprocess.Popen[bytes] | None = None
    endpoint_url = options.endpoint_url
    if endpoint_url is None:
        _check_port(options.host, options.model_port, "the model server", "--model-port")
        endpoint_url = f"http://{options.host}:{options.model_port}"
    errors = gateway_errors(options)  # fail here, with our message, if the template is unusable
    check_functions(options, endpoint_url)
    timeout = options.function_timeout or max(spec.timeout for spec in read_api(options.template).functions().values())
    limits = Limits(
        max_body_bytes=MAX_PAYLOAD_BYTES,
        header_timeout_s=10.0,
        body_timeout_s=20.0,
        max_connections=512,
        threads=options.concurrency + 4,
        buffered_bytes=8 * MAX_PAYLOAD_BYTES,
        answer_within_s=INTEGRATION_TIMEOUT_S + 0.5,
        graceful_timeout_s=5,
    )
    owner = os.getpid()
    try:
        if options.endpoint_url is None:
            model_server = start_model_server(options, timeout)
            wait_until_up(f"{endpoint_url}/ping", model_server, 120, what="the model server")
        print(f"model endpoint  {endpoint_url}  (SageMaker container contract)", flush=True)
        print(f"API             {options.url}/predict  ·  {options.url}/health", flush=True)
        print(f"website         {options.url}/", flush=True)
        print("Ctrl-C stops everything.", flush=True)
        serve(
            lambda: build_gateway(options, endpoint_url),
            options.host,
            options.port,
            1,
            limits,
            "sentiment-local-stack",
            error=errors.for_server,
        )
    except KeyboardInterrupt:
        pass
    finally:
        # gunicorn's workers are forks of this process, whose stack they unwind when they exit: the
        # stack is this process's to stop, and only this process's.
        if os.getpid() == owner:
            print("\nstopping the local stack", flush=True)
            if model_server is not None:
                stop(model_server)
