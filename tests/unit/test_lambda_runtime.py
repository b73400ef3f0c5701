"""The local Lambda runner keeps the template's Timeout as Lambda does: a run past it is given up, a
fresh instance takes the place of the lost one, and the context's remaining time counts down."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sentiment.local.lambda_runtime import FunctionPool, FunctionTimeoutError
from sentiment.local.template import FunctionSpec

HANDLER = """
import time

LOADED = time.monotonic()


def handler(event, context):
    time.sleep(event.get("sleep", 0))
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
