"""The moto AWS account of the deploy and operations tests (the `aws` fixture in
tests/functional/conftest.py): a bucket with two model artifacts, an ECR image, and the endpoint spec
those tests vary."""

from __future__ import annotations

from typing import Any

from sentiment.aws.endpoint import EndpointSpec, Variant

REGION = "us-east-1"
ACCOUNT = "123456789012"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/sentiment-model:1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sentiment-sagemaker"
BUCKET = "sentiment-artifacts"
MODEL_A, MODEL_B = f"s3://{BUCKET}/models/a/model.tar.gz", f"s3://{BUCKET}/models/b/model.tar.gz"


def spec(**changes: Any) -> EndpointSpec:
    settings: dict[str, Any] = {
        "name": "sentiment-endpoint",
        "image_uri": IMAGE,
        "role_arn": ROLE,
        "variants": [Variant("AllTraffic", MODEL_A)],
    }
    return EndpointSpec(**{**settings, **changes})


def quiet(_: str) -> None:
    pass
