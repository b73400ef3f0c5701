"""End-to-end load benchmark: wrk against the local stack (website API -> handler -> model server)
with real reviews, beside the same stack with the model server on eager torch (before the graphs) and
the classic text-in endpoint, under the same load in the same run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sentiment.bench import machine_description
from sentiment.core.errors import ConfigError
from sentiment.core.report import markdown_table
from sentiment.data import archive, storage
from sentiment.data.reviews import read_split
from sentiment.local.processes import free_port, running


@dataclass(frozen=True)
class LoadResult:
    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_load(
    name: str, url: str, bodies: list[str], content_type: str, requests: int, concurrency: int, threads: int = 2
) -> LoadResult:
    """POST `bodies` in turn to `url` until `requests` answers, `concurrency` connections open."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise ConfigError("wrk is not installed: apt-get install wrk (Debian) or brew install wrk")
    threads = max(1, min(threads, concurrency))
    with tempfile.TemporaryDirectory() as tmp:
        bodies_file = Path(tmp) / "bodies.txt"
        bodies_file.write_text("\n".join(b.replace("\n", " ") for b in bodies) + "\n", encoding="utf-8")
        script = resources.files("sentiment.bench").joinpath("load.lua")
        done_dir = Path(tmp) / "done"
        done_dir.mkdir()
        env = {
            **os.environ,
            "BODIES_FILE": str(bodies_file),
            "CONTENT_TYPE": content_type,
            "REQUESTS_PER_THREAD": str(max(1, requests // threads)),
            "DONE_DIR": str(done_dir),
        }
        command = [
            wrk,
            "-t",
            str(threads),
            "-c",
            str(concurrency),
            "-d",
            "3600s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while process.poll() is None and len(list(done_dir.iterdir())) < threads:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)  # every thread has its share: wrk reports and exits
        stdout, stderr = process.communicate(timeout=60)
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise ConfigError(f"wrk failed: {stderr.strip() or stdout[-500:]}")
    summary: dict[str, Any] = json.loads(lines[-1])
    latency = summary["latency_us"]
    return LoadResult(
        name,
        summary["requests"],
        sum(summary["errors"].values()),
        summary["duration_us"] / 1e6,
        latency["p50"] / 1000,
        latency["p95"] / 1000,
        latency["p99"] / 1000,
    )


def load_stack(
    model_dir: str, reviews: list[str], requests: int, concurrency: int, endpoint_url: str | None = None
) -> LoadResult:
    """Start `sentiment up` on free ports (its own model server, or `endpoint_url`) and load POST /predict
    with one JSON review per request."""
    port, model_port = free_port(), free_port()
    command = [sys.executable, "-m", "sentiment.cli", "up", "--model-dir", model_dir, "--port", str(port),
               "--model-port", str(model_port)]  # fmt: skip
    if endpoint_url:
        command += ["--endpoint-url", endpoint_url]
    with running(command, f"http://127.0.0.1:{port}/health"):
        bodies = [json.dumps({"review": r}) for r in reviews]
        backend = "eager torch" if endpoint_url else "ONNX graphs"
        name = f"local stack, POST /predict (handler + endpoint on {backend} + explanations)"
        url = f"http://127.0.0.1:{port}/predict"
        return wrk_load(name, url, bodies, "application/json", requests, concurrency)


def load_stack_on_torch(model_dir: str, reviews: list[str], requests: int, concurrency: int) -> LoadResult:
    """The same stack with the model server on eager torch (sentiment.bench.torch_server), as before."""
    port = free_port()
    command = [sys.executable, "-m", "sentiment.bench.torch_server", model_dir, str(port), str(os.cpu_count() or 1)]
    with running(command, f"http://127.0.0.1:{port}/ping"):
        return load_stack(model_dir, reviews, requests, concurrency, f"http://127.0.0.1:{port}")


def load_classic(model_dir: str, reviews: list[str], requests: int, concurrency: int) -> LoadResult:
    port = free_port()
    command = [sys.executable, "-m", "sentiment.bench.classic_server", model_dir, str(port)]
    with running(command, f"http://127.0.0.1:{port}/ping"):
        name = "classic: text to the endpoint, preprocessing in predict_fn"
        url = f"http://127.0.0.1:{port}/invocations"
        return wrk_load(name, url, reviews, "text/plain", requests, concurrency)


def rows(results: list[LoadResult], baseline: LoadResult) -> list[list[Any]]:
    return [
        [
            r.name,
            r.requests,
            r.errors,
            round(r.throughput, 1),
            round(r.p50_ms, 1),
            round(r.p95_ms, 1),
            round(r.p99_ms, 1),
            f"{r.throughput / baseline.throughput:.1f}x",
        ]
        for r in results
    ]


HEADERS = ["path", "requests", "errors", "requests/s", "p50 ms", "p95 ms", "p99 ms", "throughput vs classic"]


def run(
    model_dir: str,
    archive_path: str | None,
    output: str,
    requests: int = 20_000,
    concurrency: int = 32,
    classic_requests: int = 2_000,
) -> str:
    root, _ = archive.prepare_root(archive_path)
    reviews = [r.text for r in read_split(root, "test")][::12][:2000]  # both labels, spread over the split
    ours = load_stack(model_dir, reviews, requests, concurrency)
    on_torch = load_stack_on_torch(model_dir, reviews, max(2_000, requests // 4), concurrency)
    classic = load_classic(model_dir, reviews, min(requests, classic_requests), concurrency)
    table_rows = rows([ours, on_torch, classic], classic)
    table = markdown_table(HEADERS, table_rows)
    record = {
        "benchmark": "stack",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "concurrency": concurrency,
        "reviews": len(reviews),
        "results": [asdict(r) | {"throughput": r.throughput} for r in (ours, on_torch, classic)],
        "table": table_rows,
    }
    Path(output).mkdir(parents=True, exist_ok=True)
    storage.write_text(Path(output) / "stack.json", json.dumps(record, indent=2))
    text = (
        f"# End-to-end load benchmark\n\n{record['date']} on {record['machine']}; wrk, {concurrency} "
        f"connections, {len(reviews)} distinct IMDB test reviews in turn; load generator and servers share "
        f"the machine.\n\n{table}\n"
    )
    storage.write_text(Path(output) / "stack.md", text)
    return table
