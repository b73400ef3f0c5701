"""The model container as SageMaker runs it, without Docker: model/Dockerfile replayed into a fresh venv
(torch + `pip install '.[serve]'`, nothing else), the shipped artifact packed as `make upload-model`
packs it and unpacked as SageMaker unpacks it into /opt/ml/model, the image's `serve` entry point
started with SageMaker's variables, and boto3's `invoke_endpoint` for every request."""

from __future__ import annotations

import json
import subprocess
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from sentiment.aws.artifacts import model_tarball
from sentiment.core.config import PROJECT_ROOT, SHIPPED_MODEL_DIR
from sentiment.model.artifact import load
from sentiment.text.preprocess import review_to_words
from tests.processes import free_port
from tests.unit_environments import ServingEnvironment, serving_environment

pytestmark = pytest.mark.slow


@dataclass
class Container:
    url: str
    client: Any
    env: ServingEnvironment
    started_s: float  # process start -> first /ping 200

    def invoke(self, body: bytes, content_type: str = "application/json", **extra: str) -> Any:
        return self.client.invoke_endpoint(EndpointName="sentiment", ContentType=content_type, Body=body, **extra)


def sagemaker_model_dir(tmp: Path) -> Path:
    """model.tar.gz as upload_model.py makes it, extracted as SageMaker does into /opt/ml/model."""
    archive = tmp / "model.tar.gz"
    archive.write_bytes(model_tarball(SHIPPED_MODEL_DIR))
    target = tmp / "opt" / "ml" / "model"
    target.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target


def start(env: ServingEnvironment, model_dir: Path, port: int) -> tuple[subprocess.Popen[bytes], float]:
    """The image's CMD with its ENV and the variables SageMaker sets; seconds until /ping answers 200."""
    variables = {
        "PATH": f"{env.venv.bin}:/usr/bin:/bin",
        **env.env,
        "SM_MODEL_DIR": str(model_dir),
        "SAGEMAKER_BIND_TO_PORT": str(port),
        "SAGEMAKER_MODEL_SERVER_WORKERS": "2",
        "SENTIMENT_VARIANT_NAME": "AllTraffic",
    }
    started = time.monotonic()
    process = subprocess.Popen(
        env.command,
        env=variables,
        cwd=env.program,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    while time.monotonic() - started < 120:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}: {process.stderr.read().decode()[-3000:]}")  # type: ignore[union-attr]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as response:
                if response.status == 200:
                    return process, time.monotonic() - started
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the container's server did not answer /ping within 120 s")


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    env = serving_environment()
    model_dir = sagemaker_model_dir(tmp_path_factory.mktemp("sagemaker"))
    port = free_port()
    process, seconds = start(env, model_dir, port)
    url = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "sagemaker-runtime",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )
    try:
        yield Container(url, client, env, seconds)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def review_rows() -> list[list[int]]:
    model = load(SHIPPED_MODEL_DIR)
    reviews = [
        "One of the best films of the year: moving, funny and beautifully acted.",
        "A dull, boring mess. The worst film I have seen in years.",
    ]
    return [model.word_dict.model_ids(review_to_words(r), model.sequence_length) for r in reviews]


def test_the_environment_holds_only_what_the_dockerfile_installs(container: Container, capsys: Any) -> None:
    site = next((container.env.venv.path / "lib").glob("python3.*/site-packages"))
    installed = {p.name.split("-")[0].lower() for p in site.glob("*.dist-info")}
    assert {"torch", "gunicorn", "numpy", "sentiment"} <= installed
    for training_only in ("scikit_learn", "scipy", "matplotlib", "gensim", "boto3", "aws_lambda_powertools"):
        assert training_only not in installed, training_only
    full = sum(f.stat().st_size for f in (PROJECT_ROOT / ".venv").rglob("*") if f.is_file() and not f.is_symlink())
    with capsys.disabled():
        print(
            f"\n[serving environment {container.env.venv.size_mb():.0f} MB vs the full .venv {full / 1e6:.0f} MB; "
            f"cold start (process start -> first /ping 200) {container.started_s:.2f} s]"
        )


def test_ping(container: Container) -> None:
    with urllib.request.urlopen(f"{container.url}/ping", timeout=5) as response:
        assert response.status == 200 and json.loads(response.read())["status"] == "healthy"


def test_json_rows_score_with_explanations(container: Container, review_rows: list[list[int]]) -> None:
    vocab = load(SHIPPED_MODEL_DIR).word_dict.sha256
    instances = [{"length": len(r), "ids": r} for r in review_rows]
    body = json.dumps({"instances": instances, "explain": True, "vocab_sha256": vocab}).encode()
    answer = container.invoke(body, Accept="application/json")
    predictions = json.loads(answer["Body"].read())["predictions"]
    assert predictions[0]["score"] > 0.5 > predictions[1]["score"]
    assert [len(p["attributions"]) for p in predictions] == [len(r) for r in review_rows]
    assert answer["InvokedProductionVariant"] == "AllTraffic"


def test_batch_transform_lines(container: Container, review_rows: list[list[int]]) -> None:
    """Batch Transform's line format: `length,id_1,...,id_N` per line, padded to a common width."""
    width = max(len(r) for r in review_rows)
    lines = "".join(f"{len(r)}," + ",".join(map(str, r + [0] * (width - len(r)))) + "\n" for r in review_rows)
    answer = container.invoke(lines.encode(), "text/csv", Accept="text/csv")
    scores = [float(x) for x in answer["Body"].read().decode().split()]
    assert len(scores) == 2 and scores[0] > 0.5 > scores[1]


def test_a_different_word_dictionary_is_refused(container: Container) -> None:
    body = json.dumps({"instances": [{"length": 1, "ids": [5]}], "vocab_sha256": "0" * 64}).encode()
    with pytest.raises(container.client.exceptions.ModelError) as refused:
        container.invoke(body)
    assert refused.value.response["OriginalStatusCode"] == 409
    assert "vocabulary_mismatch" in refused.value.response["OriginalMessage"]


def test_caller_mistakes_are_4xx_json(container: Container) -> None:
    for body, content_type in ((b"2,2,x\n", "text/csv"), (b"{", "application/json"), (b"hello", "text/plain")):
        with pytest.raises(container.client.exceptions.ModelError) as refused:
            container.invoke(body, content_type)
        assert 400 <= refused.value.response["OriginalStatusCode"] < 500
        json.loads(refused.value.response["OriginalMessage"])
