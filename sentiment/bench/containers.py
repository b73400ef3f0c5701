"""Container benchmark (needs Docker): the model image against the same server on torch in an image of its
own (the image before the graphs), built and run in the same run as SageMaker runs them (2 GB, one CPU):
image size, `docker run` -> first /ping 200, resident memory per worker, p50 of one median review through
the container against `sentiment serve` on this machine; and the Lambda's side: the function and layer
of `sam build` and the handler's cold import as Lambda loads it."""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sentiment.bench import machine_description
from sentiment.bench.lambda_cold import lambda_cold_import
from sentiment.bench.serving import server
from sentiment.containers import docker
from sentiment.containers.images import MODEL_IMAGE, build_all, package_index
from sentiment.containers.sagemaker_run import sagemaker_container
from sentiment.core.config import PROJECT_ROOT, cache_dir
from sentiment.core.report import markdown_table
from sentiment.data import storage
from sentiment.model.artifact import load
from sentiment.text.preprocess import preprocessor

TORCH_IMAGE = "sentiment-model-torch:bench"
TORCH_DOCKERFILE = PROJECT_ROOT / "sentiment" / "bench" / "torch.Dockerfile"


def p50_ms(url: str, body: bytes, n: int = 300) -> float:
    timings = []
    for i in range(n + 20):
        request = urllib.request.Request(f"{url}/invocations", body, {"Content-Type": "application/json"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        if i >= 20:
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run(model_dir: str, output: str) -> str:
    with docker.daemon(cache_dir() / "docker"):
        build_all()
        with package_index() as build_args:
            docker.build(PROJECT_ROOT, TORCH_IMAGE, TORCH_DOCKERFILE, build_args, host_network=bool(build_args))
        model = load(model_dir)
        words = preprocessor(model.word_dict.preprocessor).words
        review = "An uneven film: the first hour drags, but the cast is superb and the ending is moving. " * 4
        ids = model.word_dict.model_ids(words(review), model.sequence_length)
        body = json.dumps({"instances": [{"length": len(ids), "ids": ids}]}).encode()
        rows: list[list[Any]] = []
        figures: dict[str, dict[str, Any]] = {}
        with tempfile.TemporaryDirectory() as tmp:
            served = Path(tmp) / "model"
            shutil.copytree(model_dir, served)
            for label, image, command in (
                ("ONNX graphs (model/Dockerfile)", MODEL_IMAGE, ["serve"]),
                ("eager torch (the image before)", TORCH_IMAGE, []),
            ):
                starts = []
                for attempt in range(3):
                    with sagemaker_container(image, served, command) as running:
                        starts.append(running.started_s)
                        if attempt == 0:
                            rss = running.worker_rss_mb()
                            latency = p50_ms(running.url, body)
                figures[label] = {
                    "image_mb": round(docker.image_size_mb(image)),
                    "start_s": round(statistics.median(starts), 2),
                    "worker_rss_mb": [round(r) for r in rss],
                    "p50_ms": round(latency, 2),
                }
        with server("onnx", model_dir, 1) as port:
            host = p50_ms(f"http://127.0.0.1:{port}", body)
    ours, before = figures["ONNX graphs (model/Dockerfile)"], figures["eager torch (the image before)"]
    for label, values in figures.items():
        rows.append([label, values["image_mb"], values["start_s"], max(values["worker_rss_mb"]), values["p50_ms"]])
    rows.append(["`sentiment serve` on this machine (ONNX, 1 worker)", "", "", "", round(host, 2)])
    ratios = [before[k] / ours[k] for k in ("image_mb", "start_s")]
    ratios += [max(before["worker_rss_mb"]) / max(ours["worker_rss_mb"]), before["p50_ms"] / ours["p50_ms"]]
    rows.append(["torch / ONNX", *(f"{r:.1f}x" for r in ratios)])
    table = markdown_table(["model image (2 GB, 1 CPU)", "image MB", "run -> /ping s", "MB per worker", "p50 ms"], rows)
    functions = lambda_cold_import()
    lambda_table = markdown_table(
        ["Lambda (sam build)", "value"],
        [
            ["function MB", functions["function_mb"]],
            ["layer MB", functions["layer_mb"]],
            ["cold import after the runtime's boto3, as in Lambda (median of 5) s", functions["init_s"]],
            ["the runtime's boto3 s", functions["boto3_s"]],
        ],
    )
    record = {
        "benchmark": "containers",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "model_image": figures,
        "host_p50_ms": round(host, 2),
        "review_ids": len(ids),
        "lambda": functions,
    }
    Path(output).mkdir(parents=True, exist_ok=True)
    storage.write_text(Path(output) / "containers.json", json.dumps(record, indent=2))
    text = f"{table}\n\n{lambda_table}\n"
    storage.write_text(
        Path(output) / "containers.md", f"# Container benchmark\n\n{record['date']} on {record['machine']}\n\n{text}"
    )
    return text
