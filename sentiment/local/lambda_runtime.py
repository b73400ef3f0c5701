"""Run a template's Lambda handler in this process, as Lambda would: loaded once per instance,
one event at a time per instance, a context object, a pool of instances for concurrency."""

from __future__ import annotations

import importlib.util
import json
import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from sentiment.core.errors import ConfigError
from sentiment.local.template import FunctionSpec

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "local"
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(spec: FunctionSpec, instance: int) -> Handler:
    """Import the function's module afresh (its own module-level state, like a new container)."""
    path = spec.code_dir / f"{spec.module.replace('.', '/')}.py"
    name = f"_lambda_{spec.name}_{instance}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ConfigError(f"cannot load the handler module {path}")
    module: ModuleType = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, str(spec.code_dir))  # as Lambda puts the function's folder on the path
    try:
        module_spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(spec.code_dir))
    handler = getattr(module, spec.handler, None)
    if not callable(handler):
        raise ConfigError(f"{path} has no handler function {spec.handler}")
    return handler  # type: ignore[no-any-return]


class FunctionTimeoutError(RuntimeError):
    """The function ran past its Timeout: Lambda would stop it and API Gateway answer 502."""


class IntegrationTimeoutError(RuntimeError):
    """No answer within API Gateway's integration timeout (waiting for a free instance included): 504."""


class ResponseTooLargeError(RuntimeError):
    """The function's result is over Lambda's 6 MB limit for a synchronous answer: API Gateway answers 502."""


RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024  # Lambda's synchronous invocation payload limit
INTEGRATION_TIMEOUT_S = 29.0  # API Gateway REST's default (and maximum) integration timeout


class FunctionPool:
    """`concurrency` loaded instances of one function; each serves one event at a time, within the
    function's Timeout. An instance that runs past it is given up, as Lambda discards a timed-out
    sandbox: a fresh one takes its place (the abandoned call ends on its own, later)."""

    def __init__(self, spec: FunctionSpec, concurrency: int) -> None:
        self.spec = spec
        self._loaded = 0
        self._idle: queue.Queue[Handler] = queue.Queue()
        for _ in range(concurrency):
            self._idle.put(self._load())

    def _load(self) -> Handler:
        self._loaded += 1
        return load_handler(self.spec, self._loaded)

    def invoke(self, event: dict[str, Any], deadline_s: float = INTEGRATION_TIMEOUT_S) -> dict[str, Any]:
        """The function's result for `event`; IntegrationTimeoutError when no answer comes within
        `deadline_s` of the call (API Gateway counts the wait for a free instance too)."""
        started = time.monotonic()
        try:
            handler = self._idle.get(timeout=deadline_s)
        except queue.Empty:
            raise IntegrationTimeoutError(f"no {self.spec.name} instance free within {deadline_s:g} s") from None
        context = LambdaContext(self.spec.name, self.spec.memory_mb, self.spec.timeout)
        outcome: dict[str, Any] = {}
        lock = threading.Lock()

        def run() -> None:
            try:
                outcome["result"] = handler(event, context)
            except BaseException as exc:  # re-raised below, in the caller's thread
                outcome["error"] = exc
            with lock:
                outcome["done"] = True
                if outcome.get("left_running"):  # the caller got its 504 already: the instance is free now
                    self._idle.put(handler)

        worker = threading.Thread(target=run, name=f"{self.spec.name}-invocation", daemon=True)
        worker.start()
        left = deadline_s - (time.monotonic() - started)
        worker.join(min(self.spec.timeout, max(left, 0.0)))
        with lock:
            if not outcome.get("done"):
                if left < self.spec.timeout:  # API Gateway gives up first; Lambda lets the function finish
                    outcome["left_running"] = True
                    raise IntegrationTimeoutError(f"{self.spec.name} gave no answer within {deadline_s:g} s")
                self._idle.put(self._load())  # Lambda stops it and discards the sandbox
                raise FunctionTimeoutError(f"{self.spec.name} timed out after {self.spec.timeout:g} s")
        self._idle.put(handler)
        if "error" in outcome:
            raise outcome["error"]
        if len(json.dumps(outcome["result"])) > RESPONSE_LIMIT_BYTES:
            raise ResponseTooLargeError(f"{self.spec.name} answered more than Lambda's 6 MB")
        return outcome["result"]  # type: ignore[no-any-return]
