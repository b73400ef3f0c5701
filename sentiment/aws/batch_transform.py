"""SageMaker Batch Transform over the training-file CSV layout (`label,length,id_1,...`).

SageMaker splits the input by line, drops the label column before it reaches the model
(`InputFilter "$[1:]"`), and joins each score back to its input row so the output keeps
`label,...,score` side by side (`JoinSource Input`, `OutputFilter "$[0,-1]"`): label and score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import boto3

from sentiment.aws.session import aws_errors
from sentiment.core.errors import ConfigError

_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


@dataclass(frozen=True)
class TransformJob:
    """What a Batch Transform job scores, with what, and where its results go."""

    job_name: str
    model_name: str
    input_uri: str
    output_uri: str
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    max_payload_mb: int = 5
    has_label_column: bool = True

    def validate(self) -> None:
        for label, name in (("job name", self.job_name), ("model name", self.model_name)):
            if not _NAME.match(name):
                raise ConfigError(f"{label} {name!r} must be 1-63 letters, digits or hyphens")
        for label, uri in (("input", self.input_uri), ("output", self.output_uri)):
            if not uri.startswith("s3://"):
                raise ConfigError(f"{label} must be an s3:// URI, got {uri!r}")
        if self.instance_count < 1 or not 1 <= self.max_payload_mb <= 100:
            raise ConfigError("instance count must be at least 1 and max payload 1..100 MB")

    def request(self) -> dict[str, Any]:
        """The CreateTransformJob request."""
        self.validate()
        request: dict[str, Any] = {
            "TransformJobName": self.job_name,
            "ModelName": self.model_name,
            "MaxPayloadInMB": self.max_payload_mb,
            "BatchStrategy": "MultiRecord",
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": self.input_uri}},
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            "TransformOutput": {"S3OutputPath": self.output_uri, "Accept": "text/csv", "AssembleWith": "Line"},
            "TransformResources": {"InstanceType": self.instance_type, "InstanceCount": self.instance_count},
        }
        if self.has_label_column:
            request["DataProcessing"] = {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}
        return request


def start(aws: boto3.Session, job: TransformJob) -> str:
    """Create the job; return its ARN."""
    request = job.request()
    with aws_errors(f"starting batch transform job {job.job_name}"):
        response = aws.client("sagemaker").create_transform_job(**request)
    return str(response["TransformJobArn"])


def follow(aws: boto3.Session, job_name: str) -> str:
    """Wait until the job ends; its final status (Completed, Failed or Stopped)."""
    sagemaker = aws.client("sagemaker")
    with aws_errors(f"waiting for batch transform job {job_name}"):
        sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=job_name)
        return str(sagemaker.describe_transform_job(TransformJobName=job_name)["TransformJobStatus"])
