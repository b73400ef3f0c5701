"""The SageMaker training job as SageMaker runs it, without AWS: the source dir that launch_training.py
uploads (stage_source), a fresh venv with only what the AWS PyTorch training image has (torch, numpy,
boto3) plus exactly the staged requirements.txt, `python train.py --name value ...` with the SM_*
variables; then SageMaker's model.tar.gz of SM_MODEL_DIR, served by the model container's own
environment and scored through boto3."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from sentiment.aws.training_job import stage_source
from tests.integration.test_model_container import start
from tests.processes import free_port
from tests.synthetic import write_prepared
from tests.unit_environments import py312_wheels_missing, serving_environment, training_environment

pytestmark = pytest.mark.slow
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


def test_the_staged_job_trains_and_its_model_serves(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    source = stage_source(tmp_path / "code")
    venv = training_environment(source / "requirements.txt")
    data = write_prepared(tmp_path / "input" / "data" / "train")
    model_dir, output_dir = tmp_path / "model", tmp_path / "output" / "data"
    model_dir.mkdir()
    output_dir.mkdir(parents=True)
    arguments = [item for name, value in HYPERPARAMETERS.items() for item in (f"--{name}", value)]
    env = {
        "PATH": f"{venv.bin}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SM_CHANNEL_TRAIN": str(data),
        "SM_CHANNEL_VALIDATION": str(data),
        "SM_MODEL_DIR": str(model_dir),
        "SM_OUTPUT_DATA_DIR": str(output_dir),
        "MPLCONFIGDIR": str(tmp_path / "matplotlib"),
    }
    done = subprocess.run(
        [str(venv.python), "train.py", *arguments], cwd=source, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert {"model.pt", "config.json", "word_dict.json"} <= {p.name for p in model_dir.iterdir()}

    # SageMaker uploads SM_MODEL_DIR as model.tar.gz; the endpoint unpacks it into /opt/ml/model.
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in model_dir.iterdir():
            tar.add(path, arcname=path.name)
    served = tmp_path / "opt" / "ml" / "model"
    served.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(served, filter="data")
    port = free_port()
    process, _ = start(serving_environment(), served, port)
    try:
        client = boto3.client(
            "sagemaker-runtime",
            region_name="us-east-1",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}),
        )
        rows = [{"length": 3, "ids": [2, 4, 6]}, {"length": 3, "ids": [12, 14, 16]}]  # positive, negative cues
        answer = client.invoke_endpoint(
            EndpointName="job", ContentType="application/json", Body=json.dumps({"instances": rows}).encode()
        )
        scores = [p["score"] for p in json.loads(answer["Body"].read())["predictions"]]
        assert scores[0] > 0.5 > scores[1]
    finally:
        process.terminate()
        process.wait(timeout=30)
