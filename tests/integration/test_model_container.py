"""The model image as SageMaker runs it: `make images` builds model/Dockerfile with `docker build`; the
shipped artifact is packed as `make upload-model` packs it and extracted as SageMaker does; the
container runs `serve` with the artifact read-only at /opt/ml/model, port 8080, 2 GB and one CPU (the
smallest serverless endpoint); every request goes through boto3's `invoke_endpoint`."""

from __future__ import annotations

import json
import socket
import statistics
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sentiment.containers import docker
from sentiment.containers.images import MODEL_IMAGE
from sentiment.containers.sagemaker_run import RunningContainer
from sentiment.core.config import SHIPPED_MODEL_DIR
from sentiment.model.artifact import load
from sentiment.serving.handlers import MAX_EXPLAIN_ROWS, MAX_PAYLOAD_BYTES, MAX_ROWS
from sentiment.text.preprocess import preprocessor
from tests.containers import json_body, model_container, runtime_client, sagemaker_model_dir
from tests.processes import free_port, running, sentiment_command

pytestmark = pytest.mark.slow
REVIEWS = [
    "One of the best films of the year: moving, funny and beautifully acted.",
    "A dull, boring mess. The worst film I have seen in years.",
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sagemaker_model_dir(tmp_path_factory.mktemp("sagemaker"), SHIPPED_MODEL_DIR)


@pytest.fixture(scope="module")
def container(images: str, model_dir: Path) -> Iterator[RunningContainer]:
    with model_container(model_dir) as running_container:
        yield running_container


@pytest.fixture(scope="module")
def client(container: RunningContainer) -> Any:
    return runtime_client(container)


@pytest.fixture(scope="module")
def review_rows() -> list[list[int]]:
    model = load(SHIPPED_MODEL_DIR)
    words = preprocessor(model.word_dict.preprocessor).words
    return [model.word_dict.model_ids(words(r), model.sequence_length) for r in REVIEWS]


def invoke(client: Any, body: bytes, content_type: str = "application/json", **extra: str) -> Any:
    return client.invoke_endpoint(EndpointName="sentiment", ContentType=content_type, Body=body, **extra)


def refused(client: Any, body: bytes, content_type: str = "application/json", **extra: str) -> tuple[int, Any]:
    """The container's status and error body for a request it refuses (boto3 raises ModelError)."""
    with pytest.raises(client.exceptions.ModelError) as error:
        invoke(client, body, content_type, **extra)
    return error.value.response["OriginalStatusCode"], json.loads(error.value.response["OriginalMessage"])


def test_the_image_holds_only_the_serving_unit(container: RunningContainer, capsys: pytest.CaptureFixture[str]) -> None:
    listing = docker.docker(
        "run",
        "--rm",
        "--label",
        f"{docker.CONTAINER_LABEL}=1",
        "--entrypoint",
        "python3",
        MODEL_IMAGE,
        "-c",
        "import importlib.metadata as m; print(' '.join(d.metadata['Name'].lower() for d in m.distributions()))",
        step="list the image's packages",
    ).split()
    assert {"gunicorn", "numpy", "sentiment"} <= set(listing)
    for training_only in ("scikit-learn", "scipy", "matplotlib", "gensim", "boto3", "aws-lambda-powertools", "tqdm"):
        assert training_only not in listing, training_only
    rss = container.worker_rss_mb()
    with capsys.disabled():
        print(
            f"\n[model image {docker.image_size_mb(MODEL_IMAGE):,.0f} MB; docker run -> first /ping 200 "
            f"{container.started_s:.2f} s; resident memory per process after load "
            f"{', '.join(f'{r:.0f}' for r in rss)} MB]"
        )


def test_ping_and_execution_parameters(container: RunningContainer) -> None:
    with urllib.request.urlopen(f"{container.url}/ping", timeout=5) as response:
        assert response.status == 200 and json.loads(response.read())["status"] == "healthy"
    with urllib.request.urlopen(f"{container.url}/execution-parameters", timeout=5) as response:
        parameters = json.loads(response.read())
    assert parameters["BatchStrategy"] == "MULTI_RECORD"
    assert parameters["MaxPayloadInMB"] * 1024 * 1024 <= MAX_PAYLOAD_BYTES
    assert parameters["MaxConcurrentTransforms"] >= 1


def test_json_rows_score_with_explanations(client: Any, review_rows: list[list[int]]) -> None:
    vocab = load(SHIPPED_MODEL_DIR).word_dict.sha256
    instances = [{"length": len(r), "ids": r} for r in review_rows]
    body = json.dumps({"instances": instances, "explain": True, "vocab_sha256": vocab}).encode()
    answer = invoke(client, body, Accept="application/json")
    predictions = json_body(answer)["predictions"]
    assert predictions[0]["score"] > 0.5 > predictions[1]["score"]
    assert [len(p["attributions"]) for p in predictions] == [len(r) for r in review_rows]
    assert answer["InvokedProductionVariant"] == "AllTraffic"


def test_batch_transform_lines(client: Any, review_rows: list[list[int]]) -> None:
    """Batch Transform's line format: `length,id_1,...,id_N` per line, padded to a common width; the
    options in the custom attributes."""
    width = max(len(r) for r in review_rows)
    lines = "".join(f"{len(r)}," + ",".join(map(str, r + [0] * (width - len(r)))) + "\n" for r in review_rows)
    vocab = load(SHIPPED_MODEL_DIR).word_dict.sha256
    answer = invoke(client, lines.encode(), "text/csv", Accept="text/csv", CustomAttributes=f"vocab_sha256={vocab}")
    scores = [float(x) for x in answer["Body"].read().decode().split()]
    assert len(scores) == 2 and scores[0] > 0.5 > scores[1]


def test_a_different_word_dictionary_is_refused(client: Any) -> None:
    body = json.dumps({"instances": [{"length": 1, "ids": [5]}], "vocab_sha256": "0" * 64}).encode()
    status, error = refused(client, body)
    assert (status, error["error"]["code"]) == (409, "vocabulary_mismatch")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"2,2,x\n", "text/csv", 400, "malformed_row"),
        (b"{", "application/json", 400, "malformed_json"),
        (b"hello", "text/plain", 415, "unsupported_media_type"),
        (b"1," + b",".join([b"5"] * 1001) + b"\n", "text/csv", 400, "row_too_long"),
        (b"1,99999999\n", "text/csv", 400, "bad_ids"),
        (b"1,5\n" * (MAX_ROWS + 1), "text/csv", 413, "too_many_rows"),
        (
            json.dumps({"instances": [{"length": 1, "ids": [5]}] * (MAX_EXPLAIN_ROWS + 1), "explain": True}).encode(),
            "application/json",
            413,
            "too_many_rows_to_explain",
        ),
    ],
)
def test_the_documented_limits(client: Any, body: bytes, content_type: str, status: int, code: str) -> None:
    got, error = refused(client, body, content_type)
    assert (got, error["error"]["code"]) == (status, code)
    assert error["error"]["message"]


def test_a_slow_client_holds_no_one_up(container: RunningContainer) -> None:
    """A client that trickles its headers costs a connection, not a worker: /ping answers meanwhile, and
    the slow one gets a JSON 408 once the header deadline passes."""
    host, port = container.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as slow:
        slow.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        with urllib.request.urlopen(f"{container.url}/ping", timeout=5) as response:
            assert response.status == 200
        assert time.monotonic() - started < 1.0
        answer = b"".join(iter(lambda: slow.recv(4096), b"")).decode()  # until the server closes
    assert answer.startswith("HTTP/1.1 408") and "request_timeout" in answer


def test_sigterm_stops_the_container_cleanly(images: str, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with model_container(model_dir) as target:
        started = time.monotonic()
        docker.stop_container(target.name, timeout_s=30)
        seconds = time.monotonic() - started
        code = docker.docker("inspect", "--format", "{{.State.ExitCode}}", target.name, step="exit code")
    with capsys.disabled():
        print(f"\n[docker stop (SIGTERM) of an idle model container: {seconds:.2f} s, exit status {code}]")
    assert code == "0"
    assert seconds < 5.0


def _p50_ms(url: str, body: bytes, requests: int = 60) -> float:
    timings = []
    for _ in range(requests):
        request = urllib.request.Request(f"{url}/invocations", body, {"Content-Type": "application/json"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings[5:])


def test_one_review_through_the_container_against_the_host_server(
    container: RunningContainer, review_rows: list[list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    body = json.dumps({"instances": [{"length": len(review_rows[0]), "ids": review_rows[0]}]}).encode()
    in_container = _p50_ms(container.url, body)
    port = free_port()
    command = sentiment_command("serve", "--model-dir", str(SHIPPED_MODEL_DIR), "--port", str(port), "--workers", "1")
    with running(command, f"http://127.0.0.1:{port}/ping"):
        on_host = _p50_ms(f"http://127.0.0.1:{port}", body)
    with capsys.disabled():
        print(
            f"\n[p50 of one review: container (1 CPU) {in_container:.2f} ms, `sentiment serve` on this machine "
            f"{on_host:.2f} ms (x{in_container / on_host:.2f})]"
        )
    assert in_container < 10 * on_host + 50  # the same server: only the CPU quota and Docker's proxy differ
