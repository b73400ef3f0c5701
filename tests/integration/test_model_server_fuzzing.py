"""Hypothesis against a real model server process (`sentiment serve`, one worker): bodies built to hurt
(wide and huge rows, numbers of any size, deep nesting, odd headers) get 200 or a 4xx JSON error,
each within seconds, while the worker's peak memory stays bounded and /ping keeps answering."""

from __future__ import annotations

import http.client
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.processes import free_port, running, sentiment_command

pytestmark = pytest.mark.slow
MEMORY_BUDGET_MB = 400  # above the idle worker, for anything the server accepts or refuses
TIME_BUDGET_S = 10.0

NUMBER = st.one_of(st.integers(-5, 70), st.integers(), st.integers(2**62, 2**70), st.just(10**4000))
ROW = st.fixed_dictionaries({"length": NUMBER, "ids": st.lists(NUMBER, max_size=60)})
WIDE_ROW = st.integers(1, 300_000).map(lambda n: {"length": n, "ids": [2] * n})
NESTED = st.integers(1, 20_000).map(lambda depth: "[" * depth + "]" * depth)
JSON_BODY = st.one_of(
    st.fixed_dictionaries(
        {"instances": st.lists(st.one_of(ROW, WIDE_ROW), max_size=30)},
        optional={"explain": st.one_of(st.booleans(), st.text(max_size=3)), "vocab_sha256": st.text(max_size=70)},
    ).map(json.dumps),
    NESTED.map(lambda nested: '{"instances": ' + nested + "}"),
    st.text(max_size=200),
)
CSV_LINE = st.lists(st.one_of(NUMBER.map(str), st.sampled_from(["", " ", "x", "1.5", "-0", "\x00"])), max_size=60)
CSV_BODY = st.one_of(
    st.lists(CSV_LINE.map(",".join), max_size=40).map("\n".join),
    st.integers(1, 400_000).map(lambda n: f"{n}," + ",".join(["2"] * n)),
)
REQUEST = st.one_of(
    st.tuples(JSON_BODY, st.just("application/json"), st.sampled_from(["", "explain=true"])),
    st.tuples(CSV_BODY, st.just("text/csv"), st.sampled_from(["", "explain=true", "vocab_sha256=x;explain=TRUE"])),
    st.tuples(
        st.text(max_size=50), st.sampled_from(["text/plain", "", "application/json; charset=latin-1"]), st.just("")
    ),
)
ACCEPT = st.sampled_from(["", "*/*", "text/csv", "text/html", "application/*;q=0.1, text/*", "x;q=abc"])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for {pid}")


@pytest.fixture(scope="module")
def server(tiny_model_dir: Path) -> Iterator[tuple[int, int, float]]:
    """(port, worker pid, the idle worker's peak RSS in MB)."""
    port = free_port()
    command = sentiment_command("serve", "--model-dir", str(tiny_model_dir), "--port", str(port), "--workers", "1")
    with running(command, f"http://127.0.0.1:{port}/ping") as process:
        worker = int(
            subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()[0]
        )
        yield port, worker, peak_rss_mb(worker)


def post(port: int, body: str, content_type: str, attributes: str, accept: str) -> tuple[int, bytes, float]:
    headers = {"Content-Type": content_type, "X-Amzn-SageMaker-Custom-Attributes": attributes, "Accept": accept}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.monotonic()
    connection.request("POST", "/invocations", body.encode("utf-8", "surrogatepass"), headers)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, payload, time.monotonic() - started


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(REQUEST, ACCEPT)
def test_any_request_is_answered_in_bounded_time_and_memory(
    server: tuple[int, int, float], request: tuple[str, str, str], accept: str
) -> None:
    port, worker, idle = server
    status, payload, seconds = post(port, *request, accept)
    assert status == 200 or 400 <= status < 500, payload[:300]
    if status != 200 or accept != "text/csv":
        json.loads(payload)  # always JSON, never an HTML error page
    assert seconds < TIME_BUDGET_S
    assert peak_rss_mb(worker) - idle < MEMORY_BUDGET_MB
    ping = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    ping.request("GET", "/ping")
    assert ping.getresponse().status == 200
