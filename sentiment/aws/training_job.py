"""Train on SageMaker with the SageMaker Python SDK v3 (ModelTrainer + SourceCode).

The job runs training/train.py, the same entry point as locally, in the AWS PyTorch training image,
with the sentiment package copied next to it at launch (never kept twice in the repository).
`local=True` runs the same job in a local Docker container with the SDK's own local mode (docker
compose, the job's folders laid out as SageMaker lays them out): data and output are then folders.
The SDK lives in its own environment (`make sagemaker-sdk`: it pins gunicorn and mlflow versions
that differ from ours), so it is imported here, not at module level.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from tqdm import tqdm

from sentiment.aws.session import AwsError, aws_errors
from sentiment.core.config import PROJECT_ROOT

Say = Callable[[str], None]
PYTORCH_VERSION = "2.6"  # the AWS PyTorch training image (its torch matches the model format)
PYTHON_VERSION = "py312"
# What the AWS PyTorch training image already has; everything else the job imports is staged.
IMAGE_PROVIDES = frozenset({"torch", "numpy", "boto3"})
# The sentiment packages the job runs (import-linter keeps sentiment.training within them).
JOB_PACKAGES = ("core", "text", "scoring", "model", "training")
TERMINAL = {"Completed", "Failed", "Stopped"}


@dataclass(frozen=True)
class TrainingSpec:
    role_arn: str
    data: str  # s3://bucket/prefix with train.csv, validation.csv, word_dict.json (and embeddings.npy)
    output: str  # s3://bucket/prefix for the model artifact
    instance_type: str = "ml.m5.xlarge"  # CPU; ml.g5.xlarge for a GPU
    spot: bool = False
    max_runtime_s: int = 3600
    hyperparameters: dict[str, str] = field(default_factory=lambda: {"config": "default"})
    image_uri: str | None = None
    base_job_name: str = "sentiment"
    local: bool = False  # the SDK's local mode: data and output are folders, the job a local container


def training_image(region: str, instance_type: str) -> str:
    from sagemaker.core import image_uris

    return str(
        image_uris.retrieve(
            "pytorch",
            region,
            version=PYTORCH_VERSION,
            py_version=PYTHON_VERSION,
            instance_type=instance_type,
            image_scope="training",
        )
    )


def training_requirements(pyproject: Path = PROJECT_ROOT / "pyproject.toml") -> list[str]:
    """The job's requirements.txt: the base dependencies and the `train` group of pyproject.toml (with
    the groups it names, like `sentiment[classic]`), minus what the training image has. One source of
    truth: `make lint` checks the group against what the training code imports (deptry)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    groups = project["optional-dependencies"]

    def expand(requirements: list[str]) -> list[str]:
        out: list[str] = []
        for line in requirements:
            own = re.fullmatch(rf"{project['name']}\[([\w,-]+)\]", line.replace(" ", ""))
            out += expand([r for g in own.group(1).split(",") for r in groups[g]]) if own else [line]
        return out

    wanted = expand([*project["dependencies"], *groups["train"]])
    names = [re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0].lower() for line in wanted]
    return [line for line, name in zip(wanted, names, strict=True) if name not in IMAGE_PROVIDES]


def stage_source(folder: Path) -> Path:
    """The job's source dir: training/train.py, the sentiment packages the job runs (JOB_PACKAGES) and
    a requirements.txt."""
    shutil.copy(PROJECT_ROOT / "training" / "train.py", folder / "train.py")
    package = PROJECT_ROOT / "sentiment"
    (folder / "sentiment").mkdir()
    shutil.copy(package / "__init__.py", folder / "sentiment" / "__init__.py")
    for name in JOB_PACKAGES:
        shutil.copytree(package / name, folder / "sentiment" / name, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "requirements.txt").write_text("\n".join(training_requirements()) + "\n")
    return folder


def launch(
    spec: TrainingSpec, aws: boto3.Session, say: Say = print, wait: bool = True, poll_s: float = 30.0
) -> dict[str, Any]:
    """Start the training job; with `wait`, follow it to the end. Returns DescribeTrainingJob."""
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import Compute, InputData, OutputDataConfig, SourceCode, StoppingCondition

    if spec.local:
        return launch_local(spec, aws, say)
    for name, uri in (("data", spec.data), ("output", spec.output)):
        if not uri.startswith("s3://"):
            raise AwsError(f"--{name} {uri!r}: expected s3://bucket/prefix")
    if not spec.role_arn.startswith("arn:"):
        raise AwsError("give the SageMaker execution role's ARN (--role-arn or $SAGEMAKER_ROLE_ARN)")
    image = spec.image_uri or training_image(str(aws.region_name), spec.instance_type)
    stopping = StoppingCondition(max_runtime_in_seconds=spec.max_runtime_s)
    if spec.spot:
        stopping = StoppingCondition(
            max_runtime_in_seconds=spec.max_runtime_s, max_wait_time_in_seconds=spec.max_runtime_s * 2
        )
    data = spec.data.rstrip("/") + "/"
    with tempfile.TemporaryDirectory() as tmp, aws_errors("starting the SageMaker training job"):
        trainer = ModelTrainer(
            sagemaker_session=Session(boto_session=aws),
            role=spec.role_arn,
            training_image=image,
            base_job_name=spec.base_job_name,
            source_code=SourceCode(
                source_dir=str(stage_source(Path(tmp))), entry_script="train.py", requirements="requirements.txt"
            ),
            compute=Compute(instance_type=spec.instance_type, instance_count=1, enable_managed_spot_training=spec.spot),
            stopping_condition=stopping,
            hyperparameters=dict(spec.hyperparameters),
            input_data_config=[
                InputData(channel_name="train", data_source=data),
                InputData(channel_name="validation", data_source=data),
            ],
            output_data_config=OutputDataConfig(s3_output_path=spec.output),
        )
        trainer.train(wait=False, logs=False)
        # The SDK's public record of the job it created: .../{job name}/output/output.tar.gz
        job_name = trainer.output_data.split("/")[-3]
    say(f"started training job {job_name} ({spec.instance_type}{', spot' if spec.spot else ''}; image {image})")
    sagemaker = aws.client("sagemaker")
    if not wait:
        return dict(sagemaker.describe_training_job(TrainingJobName=job_name))
    job = follow(sagemaker, job_name, poll_s)
    if job["TrainingJobStatus"] != "Completed":
        raise AwsError(f"training job {job_name} ended {job['TrainingJobStatus']}: {job.get('FailureReason', '')}")
    say(f"model artifact: {job['ModelArtifacts']['S3ModelArtifacts']}")
    return job


LOCAL_INSTANCE_TYPES = {"local_cpu": "ml.m5.xlarge", "local_gpu": "ml.g5.xlarge"}  # for the image's flavour


def launch_local(spec: TrainingSpec, aws: boto3.Session, say: Say = print) -> dict[str, Any]:
    """The job in a local container (the SDK's LOCAL_CONTAINER mode): `spec.data` is a folder of the
    prepared files, `spec.output` the folder the job's files go to; SageMaker's model.tar.gz ends up in
    its compressed_artifacts/. The container and network docker compose made are removed after."""
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import Compute, InputData, SourceCode
    from sagemaker.train.model_trainer import Mode

    instance_type = spec.instance_type if spec.instance_type in LOCAL_INSTANCE_TYPES else "local_cpu"
    data, output = Path(spec.data).resolve(), Path(spec.output).resolve()
    if not data.is_dir():
        raise AwsError(f"--data {spec.data}: with --local, expected a folder of prepared files (make data)")
    output.mkdir(parents=True, exist_ok=True)
    image = spec.image_uri or training_image(str(aws.region_name), LOCAL_INSTANCE_TYPES[instance_type])
    with tempfile.TemporaryDirectory() as tmp, aws_errors("running the training job in a local container"):
        trainer = ModelTrainer(
            sagemaker_session=Session(boto_session=aws),
            training_mode=Mode.LOCAL_CONTAINER,
            local_container_root=str(output),
            role=spec.role_arn or "arn:aws:iam::000000000000:role/local",
            training_image=image,
            base_job_name=spec.base_job_name,
            source_code=SourceCode(
                source_dir=str(stage_source(Path(tmp))), entry_script="train.py", requirements="requirements.txt"
            ),
            compute=Compute(instance_type=instance_type, instance_count=1),
            hyperparameters=dict(spec.hyperparameters),
            input_data_config=[
                InputData(channel_name="train", data_source=str(data)),
                InputData(channel_name="validation", data_source=str(data)),
            ],
        )
        try:
            trainer.train(wait=True, logs=False)
        finally:
            _compose_down(output / "docker-compose.yaml")
    archive = output / "compressed_artifacts" / "model.tar.gz"
    if not archive.is_file():
        raise AwsError(f"the local training job wrote no model (see {output / 'artifacts' / 'output'})")
    say(f"model artifact: {archive}")
    return {"TrainingJobStatus": "Completed", "ModelArtifacts": {"S3ModelArtifacts": str(archive)}}


def _compose_down(compose_file: Path) -> None:
    """Remove the containers and network of a local job (the SDK leaves them)."""
    if not compose_file.is_file():
        return
    for prefix in (["docker", "compose"], ["docker-compose"]):
        try:
            done = subprocess.run([*prefix, "-f", str(compose_file), "down"], capture_output=True, timeout=120)
        except (FileNotFoundError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return


def follow(sagemaker: Any, job_name: str, poll_s: float = 30.0) -> dict[str, Any]:
    """Poll the job with a progress line (status, secondary status, elapsed) until it ends."""
    with tqdm(desc=job_name, bar_format="{desc}: {postfix} [{elapsed}]") as bar:
        while True:
            with aws_errors(f"following training job {job_name}"):
                job = sagemaker.describe_training_job(TrainingJobName=job_name)
            bar.set_postfix_str(f"{job['TrainingJobStatus']} / {job.get('SecondaryStatus', '')}")
            if job["TrainingJobStatus"] in TERMINAL:
                return dict(job)
            time.sleep(poll_s)
