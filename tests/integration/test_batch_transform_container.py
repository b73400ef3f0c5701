"""A whole test-set CSV through the model image, split the way Batch Transform splits it: the 25,000 IMDB
test reviews as `length,id_1,...,id_N` lines (the training-file layout once `InputFilter "$[1:]"` has
dropped the label), cut by line (SplitType=Line) into requests of as many records as fit in the
container's MaxPayloadInMB (BatchStrategy=MultiRecord), MaxConcurrentTransforms at a time, both read
from the container's own `GET /execution-parameters`; one score per line comes back, in order."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sentiment.containers.sagemaker_run import RunningContainer
from sentiment.core.config import SHIPPED_MODEL_DIR
from sentiment.data import archive
from sentiment.data.reviews import read_split
from sentiment.model.artifact import load
from sentiment.scoring.text_scorer import TextScorer
from tests.conftest import shared_archive_or_skip
from tests.containers import model_container, runtime_client, sagemaker_model_dir

pytestmark = [pytest.mark.slow, pytest.mark.dataset]


@pytest.fixture(scope="module")
def test_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """test.csv without its label column, and the labels."""
    root, _ = archive.prepare_root(shared_archive_or_skip())
    reviews = read_split(root, "test")
    rows = TextScorer(load(SHIPPED_MODEL_DIR)).encode([r.text for r in reviews])
    path = tmp_path_factory.mktemp("transform") / "test.csv"
    with path.open("w") as out:
        for ids, length in zip(rows.ids, rows.lengths, strict=True):
            out.write(f"{length}," + ",".join(map(str, ids.tolist())) + "\n")
    return path, np.array([r.label for r in reviews])


@pytest.fixture(scope="module")
def container(images: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningContainer]:
    with model_container(sagemaker_model_dir(tmp_path_factory.mktemp("sagemaker"), SHIPPED_MODEL_DIR)) as running:
        yield running


def mini_batches(path: Path, max_bytes: int) -> list[bytes]:
    """Whole lines, as many per request as fit in `max_bytes` (Batch Transform's MultiRecord)."""
    batches, current, size = [], [], 0
    with path.open("rb") as lines:
        for line in lines:
            if current and size + len(line) > max_bytes:
                batches.append(b"".join(current))
                current, size = [], 0
            current.append(line)
            size += len(line)
    return [*batches, b"".join(current)] if current else batches


def test_the_test_set_through_the_container_as_batch_transform_sends_it(
    container: RunningContainer, test_set: tuple[Path, np.ndarray], capsys: pytest.CaptureFixture[str]
) -> None:
    path, labels = test_set
    with urllib.request.urlopen(f"{container.url}/execution-parameters", timeout=5) as response:
        parameters: dict[str, Any] = json.loads(response.read())
    batches = mini_batches(path, parameters["MaxPayloadInMB"] * 1024 * 1024)
    client = runtime_client(container, read_timeout=600)

    def transform(body: bytes) -> list[float]:
        answer = client.invoke_endpoint(EndpointName="transform", ContentType="text/csv", Accept="text/csv", Body=body)
        return [float(line) for line in answer["Body"].read().decode().splitlines()]

    started = time.monotonic()
    with ThreadPoolExecutor(parameters["MaxConcurrentTransforms"]) as pool:
        scores = np.array([s for batch in pool.map(transform, batches) for s in batch])
    seconds = time.monotonic() - started
    assert len(scores) == len(labels) == 25_000  # one line out per line in, in order
    accuracy = float(((scores >= 0.5) == labels).mean())
    shipped = json.loads((SHIPPED_MODEL_DIR / "metrics.json").read_text())["accuracy"]
    with capsys.disabled():
        print(
            f"\n[Batch Transform of {len(labels):,} test reviews: {len(batches)} requests of up to "
            f"{parameters['MaxPayloadInMB']} MB, {parameters['MaxConcurrentTransforms']} at a time, "
            f"{seconds:.0f} s ({len(labels) / seconds:,.0f} reviews/s, one CPU); accuracy {accuracy:.2%}]"
        )
    assert abs(accuracy - shipped) < 0.002  # the shipped model's own evaluation
