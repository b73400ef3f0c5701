"""The SageMaker training job in a container, as SageMaker runs it: `training/launch_training.py --local`
(the SageMaker SDK's own local mode, docker compose) starts the stand-in of the AWS PyTorch training
image (torch, numpy, boto3; `make images`) with the job's folders laid out as on AWS
(/opt/ml/input/data/train|validation, /opt/ml/input/config/hyperparameters.json, SM_* variables,
/opt/ml/model, /opt/ml/output); the SDK's driver installs the staged requirements.txt and runs
train.py. SageMaker's model.tar.gz of the job is then served by the model image."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from sentiment.aws.training_job import stage_source
from sentiment.containers.images import TRAINING_IMAGE
from sentiment.core.config import PROJECT_ROOT
from tests.containers import extract_model, json_body, model_container, runtime_client
from tests.py312_wheels import py312_wheels_missing
from tests.synthetic import write_prepared

pytestmark = pytest.mark.slow
SDK_PYTHON = PROJECT_ROOT / ".tools" / "sagemaker" / "bin" / "python"
HYPERPARAMETERS = {
    "config": "default",
    "embedding-dim": "16",
    "hidden-dim": "16",
    "ngram-buckets": "101",
    "epochs": "2",
    "batch-size": "32",
    "learning-rate": "0.01",
    "max-minutes": "5",
}


def test_every_pin_has_a_wheel_for_the_training_image(tmp_path: Path) -> None:
    requirements = stage_source(tmp_path) / "requirements.txt"
    assert py312_wheels_missing(requirements) == []


def test_the_job_trains_in_its_container_and_its_model_serves(images: str, tmp_path: Path) -> None:
    if not SDK_PYTHON.is_file():
        pytest.fail("the SageMaker SDK environment is missing: run `make sagemaker-sdk` (make test does it)")
    data = write_prepared(tmp_path / "data")
    output = tmp_path / "job"
    arguments = [item for name, value in HYPERPARAMETERS.items() for item in ("-H", f"{name}={value}")]
    done = subprocess.run(
        [
            str(SDK_PYTHON),
            "training/launch_training.py",
            "--local",
            "--image-uri",
            TRAINING_IMAGE,
            "--data",
            str(data),
            "--output",
            str(output),
            "--region",
            "us-east-1",
            *arguments,
        ],
        cwd=PROJECT_ROOT,
        env={
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        },
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    archive = output / "compressed_artifacts" / "model.tar.gz"
    assert f"model artifact: {archive}" in done.stdout
    served = extract_model(archive, tmp_path / "opt" / "ml" / "model")
    assert {"model.pt", "config.json", "word_dict.json"} <= {p.name for p in served.iterdir()}
    network = json.loads((served / "config.json").read_text())["network"]
    assert (network["embedding_dim"], network["ngram_buckets"]) == (16, 101)  # the hyperparameters arrived
    leftovers = subprocess.run(["docker", "ps", "-a", "--format", "{{.Image}}"], capture_output=True, text=True)
    assert TRAINING_IMAGE not in leftovers.stdout  # the job's container is gone

    with model_container(served) as container:
        rows = [{"length": 3, "ids": [2, 4, 6]}, {"length": 3, "ids": [12, 14, 16]}]  # positive, negative cues
        answer = runtime_client(container).invoke_endpoint(
            EndpointName="job", ContentType="application/json", Body=json.dumps({"instances": rows}).encode()
        )
    scores = [p["score"] for p in json_body(answer)["predictions"]]
    assert scores[0] > 0.5 > scores[1]
