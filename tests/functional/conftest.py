"""Fixtures of the functional tests: `aws`, a moto account (tests/moto_aws.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from sentiment.aws.session import session
from tests.moto_aws import BUCKET, REGION


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        created = session(REGION)
        s3 = created.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="models/a/model.tar.gz", Body=b"a")
        s3.put_object(Bucket=BUCKET, Key="models/b/model.tar.gz", Body=b"b")
        ecr = created.client("ecr")
        ecr.create_repository(repositoryName="sentiment-model")
        ecr.put_image(
            repositoryName="sentiment-model",
            imageTag="1",
            imageManifest=json.dumps({"schemaVersion": 2, "config": {}, "layers": []}),
            imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json",
        )
        yield created
