"""The SageMaker training job request (SDK v3 ModelTrainer + SourceCode), against moto: image,
hyperparameters, channels, output path, instance type, spot, and the code it uploads."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from sentiment.core.config import PROJECT_ROOT

pytestmark = pytest.mark.slow
SDK_PYTHON = PROJECT_ROOT / ".tools" / "sagemaker" / "bin" / "python"


def launch(*args: str) -> dict[str, Any]:
    if not SDK_PYTHON.is_file():
        pytest.fail("the SageMaker SDK environment is missing: run `make sagemaker-sdk` (make test does it)")
    done = subprocess.run(
        [str(SDK_PYTHON), str(PROJECT_ROOT / "tests" / "sagemaker_job.py"), *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_training_job_request() -> None:
    result = launch("-H", "epochs=4", "-H", "max_minutes=50", "--instance-type", "ml.g5.xlarge")
    job = result["job"]
    assert result["status"] == 0 and job["TrainingJobStatus"] == "Completed"
    image = job["AlgorithmSpecification"]["TrainingImage"]
    assert image.startswith("763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.6") and "gpu" in image
    assert job["HyperParameters"]["config"] == "default"
    assert job["HyperParameters"]["epochs"] == "4" and job["HyperParameters"]["max-minutes"] == "50"
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in job["InputDataConfig"]}
    assert channels["train"] == channels["validation"] == "s3://sentiment-data/imdb/"
    assert job["OutputDataConfig"]["S3OutputPath"] == "s3://sentiment-data/models"
    assert job["ResourceConfig"]["InstanceType"] == "ml.g5.xlarge"
    assert job["RoleArn"] == "arn:aws:iam::123456789012:role/sentiment-sagemaker"
    code = {key.lstrip("/") for key in result["code"]}
    assert {"train.py", "requirements.txt", "sentiment/text/preprocess.py", "sentiment/training/train.py"} <= code
    assert not any(key.startswith(("sentiment/aws/", "sentiment/local/", "sentiment/bench/")) for key in code)
    assert "model artifact: s3://sentiment-data/models/" in result["stdout"]


def test_spot_training_on_cpu() -> None:
    job = launch("--spot", "--max-runtime", "1800")["job"]
    assert job["EnableManagedSpotTraining"] is True
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800, "MaxWaitTimeInSeconds": 3600}
    assert "cpu" in job["AlgorithmSpecification"]["TrainingImage"]
