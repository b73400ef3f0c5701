"""Processes under load and signals: /ping never waits behind scoring, heavy work past the deadline is
refused at once, nothing a command starts outlives it (SIGTERM or SIGKILL), a stack that cannot start
says so in one line, and an idle stack stops in under two seconds."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from sentiment.core.config import SHIPPED_MODEL_DIR
from sentiment.local.processes import port_is_free
from tests.processes import free_port, running, sentiment_command, up_command

pytestmark = pytest.mark.slow


def children(pid: int) -> set[int]:
    """Every process whose parent is `pid`, and theirs (from /proc)."""
    found, frontier = set(), {pid}
    while frontier:
        parents, frontier = frontier, set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) in parents and fields[0] != "Z":
                    frontier.add(int(entry.name))
        found |= frontier
    return found


def gone(pids: set[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = set()
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                alive.add(pid)
        if not alive:
            return True
        time.sleep(0.1)
    return False


def test_ping_answers_while_heavy_requests_run_and_the_rest_is_refused_in_time() -> None:
    port = free_port()
    command = sentiment_command("serve", "--model-dir", str(SHIPPED_MODEL_DIR), "--port", str(port),
                                "--workers", "1", "--deadline", "6")  # fmt: skip
    rng = np.random.default_rng(0)
    rows = [{"length": 1000, "ids": rng.integers(2, 87_000, 1000).tolist()} for _ in range(150)]
    body = json.dumps({"instances": rows, "explain": True}).encode()
    answers: list[tuple[int, float, str | None]] = []

    def heavy() -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations", body, {"Content-Type": "application/json"}
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answers.append((response.status, time.monotonic() - started, None))
        except urllib.error.HTTPError as error:
            answers.append((error.code, time.monotonic() - started, error.headers.get("Retry-After")))

    with running(command, f"http://127.0.0.1:{port}/ping"):
        threads = [threading.Thread(target=heavy) for _ in range(8)]
        for thread in threads:
            thread.start()
        pings = []
        while any(t.is_alive() for t in threads):
            started = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=10):
                pings.append(time.monotonic() - started)
            time.sleep(0.1)
        for thread in threads:
            thread.join()
    assert max(pings) < 1.0, f"/ping took {max(pings):.2f} s"
    done = [seconds for status, seconds, _ in answers if status == 200]
    refused = [(seconds, after) for status, seconds, after in answers if status == 503]
    assert done and refused and len(done) + len(refused) == 8, answers
    assert max(done) < 6.0, answers  # every admitted request is answered within the deadline
    assert all(seconds < 1.0 and after and int(after) >= 1 for seconds, after in refused), answers  # at once


def test_sigterm_and_sigkill_of_batch_leave_no_worker(tiny_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "reviews.txt"
    source.write_text(("A long, long review of a film that goes on and on. " * 200 + "\n") * 3000)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        process = subprocess.Popen(
            sentiment_command(
                "batch", str(source), str(tmp_path / "out.csv"), "--model-dir", str(tiny_model_dir), "--workers", "2"
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while len(children(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = children(process.pid)
        assert len(workers) >= 2, "the preprocessing pool did not start"
        process.send_signal(sig)
        process.wait(timeout=60)
        assert gone(workers, within=15), f"{sig.name}: pool workers outlived sentiment batch"


def test_sigkill_of_the_stack_takes_the_model_server_with_it() -> None:
    port, model_port = free_port(), free_port()
    process = subprocess.Popen(up_command(port, model_port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while port_is_free("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.2)
        descendants = children(process.pid)
        assert descendants, "the stack started no model server"
    finally:
        process.kill()
        process.wait(timeout=30)
    assert gone(descendants, within=15)
    assert port_is_free("127.0.0.1", model_port) and port_is_free("127.0.0.1", port)


def test_a_function_that_cannot_start_is_one_line_before_any_url(tmp_path: Path) -> None:
    broken = tmp_path / "model"
    shutil.copytree(SHIPPED_MODEL_DIR, broken)
    (broken / "word_dict.json").unlink()
    port, model_port = free_port(), free_port()
    command = [*up_command(port, model_port), "--model-dir", str(broken)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "http://" not in done.stdout and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "word dictionary not found" in lines[0], done.stderr
    assert port_is_free("127.0.0.1", port) and port_is_free("127.0.0.1", model_port)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_idle_stack_stops_in_under_two_seconds(sig: signal.Signals) -> None:
    port, model_port = free_port(), free_port()
    with running(up_command(port, model_port), f"http://127.0.0.1:{port}/health") as process:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10).read()  # a kept-alive Lambda client
        started = time.monotonic()
        os.kill(process.pid, sig)
        assert process.wait(timeout=30) == 0
        seconds = time.monotonic() - started
    assert seconds < 2.0, f"{seconds:.1f} s"
    assert port_is_free("127.0.0.1", port) and port_is_free("127.0.0.1", model_port)
