"""The Batch Transform launcher against moto: the exact CreateTransformJob request."""

import pytest
from moto import mock_aws

from sentiment.aws.batch_transform import TransformJob
from sentiment.core.errors import ConfigError
from tests.processes import PROJECT_ROOT


def _load_launcher():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("batch_transform", PROJECT_ROOT / "training" / "batch_transform.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_request_drops_the_label_and_joins_scores() -> None:
    request = TransformJob("job-1", "sentiment-model", "s3://b/imdb/test.csv", "s3://b/scores/").request()
    assert request["TransformInput"] == {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/imdb/test.csv"}},
        "ContentType": "text/csv",
        "SplitType": "Line",
    }
    assert request["DataProcessing"] == {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}
    assert request["TransformOutput"] == {
        "S3OutputPath": "s3://b/scores/",
        "Accept": "text/csv",
        "AssembleWith": "Line",
    }
    assert request["MaxPayloadInMB"] <= 6


@pytest.mark.parametrize(
    "job",
    [
        TransformJob("bad_name!", "m", "s3://b/x", "s3://b/y"),
        TransformJob("job", "m", "/local/file.csv", "s3://b/y"),
        TransformJob("job", "m", "s3://b/x", "s3://b/y", instance_count=0),
    ],
)
def test_bad_jobs_are_refused_before_any_call(job: TransformJob) -> None:
    with pytest.raises(ConfigError):
        job.request()


def test_launcher_creates_the_job(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    launcher = _load_launcher()
    with mock_aws():
        import boto3

        sagemaker = boto3.client("sagemaker")
        sagemaker.create_model(
            ModelName="sentiment-model",
            PrimaryContainer={
                "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sentiment:1",
                "ModelDataUrl": "s3://b/model.tar.gz",
            },
            ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
        )
        code = launcher.main(
            "batch-transform",
            [
                "--model-name",
                "sentiment-model",
                "--input",
                "s3://b/imdb/test.csv",
                "--output",
                "s3://b/scores/",
                "--job-name",
                "imdb-test-scores",
            ],
        )
        assert code == 0
        job = sagemaker.describe_transform_job(TransformJobName="imdb-test-scores")
        assert job["ModelName"] == "sentiment-model"
        assert job["TransformInput"]["SplitType"] == "Line"
        assert job["TransformOutput"]["S3OutputPath"] == "s3://b/scores/"
    assert "started arn:aws:sagemaker" in capsys.readouterr().out
