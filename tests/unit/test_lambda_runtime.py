"""The local Lambda runner keeps the template's Timeout as Lambda does: a run past it is given up, a
fresh instance takes the place of the lost one, and the context's remaining time counts down."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sentiment.local.lambda_runtime import (
    RESPONSE_LIMIT_BYTES,
    FunctionPool,
    FunctionTimeoutError,
    IntegrationTimeoutError,
    ResponseTooLargeError,
)
from sentiment.local.template import FunctionSpec

HANDLER = """
import time

LOADED = time.monotonic()


def handler(event, context):
    time.sleep(event.get("sleep", 0))
    if "answer_bytes" in event:
        return {"statusCode": 200, "body": "x" * event["answer_bytes"]}
    return {"statusCode": 200, "body": str(context.get_remaining_time_in_millis()), "loaded": LOADED}
"""


@pytest.fixture
def pool(tmp_path: Path) -> FunctionPool:
    (tmp_path / "slow.py").write_text(HANDLER)
    spec = FunctionSpec("Slow", tmp_path, "slow", "handler", {}, timeout=0.5, memory_mb=128)
    return FunctionPool(spec, concurrency=1)


def test_a_run_past_the_timeout_is_given_up_and_replaced(pool: FunctionPool) -> None:
    first = pool.invoke({})
    started = time.monotonic()
    with pytest.raises(FunctionTimeoutError, match=r"timed out after 0\.5 s"):
        pool.invoke({"sleep": 3})
    assert time.monotonic() - started < 1.5
    after = pool.invoke({})  # the pool still serves, from a new instance (a fresh module, like a new sandbox)
    assert after["statusCode"] == 200 and after["loaded"] != first["loaded"]


def test_the_context_counts_down_from_the_timeout(pool: FunctionPool) -> None:
    assert 300 < int(pool.invoke({"sleep": 0.1})["body"]) <= 400


def test_waiting_for_a_free_instance_counts_toward_the_gateways_timeout(pool: FunctionPool) -> None:
    busy = threading.Thread(target=pool.invoke, args=({"sleep": 0.4},))
    busy.start()
    time.sleep(0.05)
    started = time.monotonic()
    with pytest.raises(IntegrationTimeoutError):
        pool.invoke({"sleep": 0.3}, deadline_s=0.5)  # 0.35 s in the queue + 0.3 s running > 0.5 s
    assert time.monotonic() - started < 0.7  # answered at the deadline, not when the function ends
    busy.join()
    time.sleep(0.4)
    assert pool.invoke({})["statusCode"] == 200  # the abandoned run gave its instance back


def test_an_answer_over_lambdas_6_mb_is_refused(pool: FunctionPool) -> None:
    assert pool.invoke({"answer_bytes": RESPONSE_LIMIT_BYTES - 1000})["statusCode"] == 200
    with pytest.raises(ResponseTooLargeError):
        pool.invoke({"answer_bytes": RESPONSE_LIMIT_BYTES})
