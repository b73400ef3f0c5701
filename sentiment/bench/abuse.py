"""The model server under the largest requests it accepts and under slow clients: peak memory of a
worker, time per request, /ping latency while 50 slow clients hold connections, /ping while eight
heavy requests arrive at once (and what becomes of them: answered in time, or refused at once), cold
start.

`--server-pythonpath` runs the server from another checkout (e.g. a worktree of an older commit),
so a change is measured against its baseline in the same run on the same machine.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sentiment.bench import machine_description
from sentiment.core.report import markdown_table
from sentiment.data import storage
from sentiment.local.processes import free_port, stop, wait_until_up

SLOW_CLIENTS = 50


def _workers(parent: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _post(port: int, body: bytes, attributes: str = "") -> tuple[int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Content-Type": "text/csv", "X-Amzn-SageMaker-Custom-Attributes": attributes}
    started = time.perf_counter()
    connection.request("POST", "/invocations", body, headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.perf_counter() - started


def _rows(count: int, width: int, seed: int) -> bytes:
    """Batch Transform lines of `width` small ids: the most ids a 5 MB body can carry."""
    rng = random.Random(seed)
    return "".join(
        f"{width}," + ",".join(str(rng.randrange(2, 10)) for _ in range(width)) + "\n" for _ in range(count)
    ).encode()


def _ping_under_slow_clients(port: int) -> list[float]:
    """/ping latencies (ms; inf = no answer in 5 s) while half the slow clients stall in their headers
    and half send less body than their Content-Length."""
    slow = []
    for i in range(SLOW_CLIENTS):
        client = socket.create_connection(("127.0.0.1", port))
        head = b"POST /invocations HTTP/1.1\r\nHost: x\r\n"
        client.sendall(head if i % 2 else head + b"Content-Type: text/csv\r\nContent-Length: 1000\r\n\r\n1,")
        slow.append(client)
    latencies = []
    for _ in range(20):
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/ping")
            connection.getresponse().read()
            latencies.append((time.perf_counter() - started) * 1000)
        except OSError:
            latencies.append(float("inf"))
        time.sleep(0.1)
    for client in slow:
        client.close()
    return latencies


HEAVY = 8  # concurrent heavy requests: 500 rows x 1,000 ids, explained


def _ping_under_heavy_requests(port: int, workers: list[int]) -> dict[str, Any]:
    """/ping latencies (ms) while HEAVY requests of 500 rows x 1,000 ids with explanations arrive at once;
    their statuses and seconds; the workers' peak memory."""
    body = _rows(500, 1000, 7)
    answers: list[tuple[int, float]] = []
    threads = [threading.Thread(target=lambda: answers.append(_post(port, body, "explain=true"))) for _ in range(HEAVY)]
    for thread in threads:
        thread.start()
    pings = []
    while any(t.is_alive() for t in threads):
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.request("GET", "/ping")
        connection.getresponse().read()
        pings.append((time.perf_counter() - started) * 1000)
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    done = [seconds for status, seconds in answers if status == 200]
    return {
        "ping_p50_ms": round(statistics.median(pings), 1),
        "ping_p99_ms": round(sorted(pings)[int(0.99 * (len(pings) - 1))], 1),
        "ping_max_ms": round(max(pings), 1),
        "answered": len(done),
        "slowest_answered_s": round(max(done, default=0.0), 1),
        "refused_503": sum(1 for status, _ in answers if status == 503),
        "worker_peak_rss_mb": [round(_peak_rss_mb(pid)) for pid in workers],
    }


class _Server:
    """`sentiment serve` with one worker, from this checkout or `pythonpath`, on a free port."""

    def __init__(self, model_dir: str, pythonpath: str | None, workers: int = 1) -> None:
        self.port = free_port()
        env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else None
        command = [
            sys.executable,
            "-m",
            "sentiment.cli",
            "serve",
            "--model-dir",
            model_dir,
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        started = time.perf_counter()
        # cwd: `python -m` puts the working directory first on sys.path, before PYTHONPATH.
        self.process = subprocess.Popen(
            command, env=env, cwd=pythonpath, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        wait_until_up(f"http://127.0.0.1:{self.port}/ping", self.process, 120, what="the model server")
        self.cold_start_s = time.perf_counter() - started
        self.workers = _workers(self.process.pid)
        self.worker = self.workers[0]

    def __enter__(self) -> _Server:
        return self

    def __exit__(self, *_: object) -> None:
        stop(self.process)


CASES = (
    ("plain: 5,000 rows x 500 ids (5 MB)", 5000, ""),
    ("plain: 2,000 rows x 500 ids", 2000, ""),
    ("explain: 500 rows x 500 ids", 500, "explain=true"),
    ("explain: 2,500 rows x 500 ids", 2500, "explain=true"),
)


def run(model_dir: str, output: str, server_pythonpath: str | None = None) -> str:
    """Each request in a fresh one-worker server, so every peak is its own."""
    model_dir = str(Path(model_dir).resolve())
    rows: list[list[Any]] = []
    for seed, (name, count, attributes) in enumerate(CASES):
        with _Server(model_dir, server_pythonpath) as server:
            idle = _peak_rss_mb(server.worker)
            status, seconds = _post(server.port, _rows(count, 500, seed), attributes)
            rows.append([name, status, round(seconds, 2), round(idle), round(_peak_rss_mb(server.worker))])
    with _Server(model_dir, server_pythonpath) as server:
        latencies = _ping_under_slow_clients(server.port)
        cold_start = server.cold_start_s
    with _Server(model_dir, server_pythonpath, workers=os.cpu_count() or 1) as server:
        heavy = _ping_under_heavy_requests(server.port, server.workers)
    finite = [x for x in latencies if x != float("inf")]
    ping = (
        f"p50 {statistics.median(latencies):.1f} ms, max {max(finite, default=float('nan')):.1f} ms, "
        f"{len(latencies) - len(finite)} of {len(latencies)} unanswered within 5 s"
    )
    headers = ["request (one worker)", "status", "seconds", "idle RSS MB", "peak RSS MB"]
    table = markdown_table(headers, rows)
    record = {
        "benchmark": "abuse",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "server_pythonpath": server_pythonpath,
        "rows": rows,
        "ping_ms": latencies,
        "heavy": heavy,
        "cold_start_s": round(cold_start, 2),
    }
    Path(output).mkdir(parents=True, exist_ok=True)
    storage.write_text(Path(output) / "abuse.json", json.dumps(record, indent=2, default=str))
    text = (
        f"{table}\n\n/ping while {SLOW_CLIENTS} slow clients hold connections: {ping}\n"
        f"/ping while {HEAVY} requests of 500 rows x 1,000 ids with explanations arrive at once ({os.cpu_count()} "
        f"workers): p50 {heavy['ping_p50_ms']} ms, p99 {heavy['ping_p99_ms']} ms, max {heavy['ping_max_ms']} ms; "
        f"{heavy['answered']} answered (the slowest in {heavy['slowest_answered_s']} s), "
        f"{heavy['refused_503']} refused at once with 503 and Retry-After; "
        f"worker peak memory {heavy['worker_peak_rss_mb']} MB\n"
        f"cold start (process start to first /ping 200): {cold_start:.2f} s"
    )
    storage.write_text(
        Path(output) / "abuse.md", f"# Model server under abuse\n\n{record['date']} on {record['machine']}\n\n{text}\n"
    )
    return text
