"""Deploy and teardown against moto (no real AWS): the exact SageMaker, autoscaling, S3, CloudFront and
CloudFormation requests, for each endpoint mode, and one clear message for each kind of bad input."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from sentiment.aws.artifacts import upload_data, upload_model
from sentiment.aws.endpoint import Autoscaling, DataCapture, Variant, deploy, destroy
from sentiment.aws.session import AwsError, session
from sentiment.aws.website import delete_stack, publish, stack_outputs
from sentiment.core.config import PROJECT_ROOT
from tests.moto_aws import ACCOUNT, BUCKET, IMAGE, MODEL_A, MODEL_B, REGION, ROLE, quiet, spec


def test_serverless_endpoint(aws: boto3.Session) -> None:
    deploy(spec(), aws, say=quiet)
    sagemaker = aws.client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName="sentiment-endpoint")
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    (variant,) = config["ProductionVariants"]
    assert variant["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    assert "InstanceType" not in variant
    model = sagemaker.describe_model(ModelName=variant["ModelName"])
    assert model["PrimaryContainer"]["Image"] == IMAGE
    assert model["PrimaryContainer"]["ModelDataUrl"] == MODEL_A
    assert model["ExecutionRoleArn"] == ROLE


def test_real_time_endpoint_with_autoscaling(aws: boto3.Session) -> None:
    rule = Autoscaling(min_instances=1, max_instances=3, invocations_per_instance=150)
    deploy(spec(serverless=False, instance_type="ml.c5.large", instance_count=2, autoscaling=rule), aws, say=quiet)
    sagemaker = aws.client("sagemaker")
    config_name = sagemaker.describe_endpoint(EndpointName="sentiment-endpoint")["EndpointConfigName"]
    (variant,) = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"]
    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.c5.large", 2)
    scaling = aws.client("application-autoscaling")
    (target,) = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert target["ResourceId"] == "endpoint/sentiment-endpoint/variant/AllTraffic"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 3)
    (policy,) = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == 150
    assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == "SageMakerVariantInvocationsPerInstance"


def test_a_b_variants_with_weights(aws: boto3.Session) -> None:
    variants = [Variant("ModelA", MODEL_A, 0.9), Variant("ModelB", MODEL_B, 0.1)]
    deploy(spec(variants=variants, serverless=False), aws, say=quiet)
    sagemaker = aws.client("sagemaker")
    config_name = sagemaker.describe_endpoint(EndpointName="sentiment-endpoint")["EndpointConfigName"]
    got = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"]
    assert [(v["VariantName"], v["InitialVariantWeight"]) for v in got] == [("ModelA", 0.9), ("ModelB", 0.1)]
    data = [sagemaker.describe_model(ModelName=v["ModelName"])["PrimaryContainer"]["ModelDataUrl"] for v in got]
    assert data == [MODEL_A, MODEL_B]


def test_data_capture_on_a_real_time_endpoint(aws: boto3.Session) -> None:
    lines: list[str] = []
    capture = DataCapture(f"s3://{BUCKET}/capture", sampling_percent=25)
    deploy(spec(serverless=False, data_capture=capture), aws, say=lines.append)
    sagemaker = aws.client("sagemaker")
    config_name = sagemaker.describe_endpoint(EndpointName="sentiment-endpoint")["EndpointConfigName"]
    got = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)["DataCaptureConfig"]
    assert got["EnableCapture"] is True
    assert got["InitialSamplingPercentage"] == 25
    assert got["DestinationS3Uri"] == f"s3://{BUCKET}/capture"
    assert sorted(option["CaptureMode"] for option in got["CaptureOptions"]) == ["Input", "Output"]
    assert got["CaptureContentTypeHeader"]["JsonContentTypes"] == ["application/json"]
    assert any(f"capturing 25% to s3://{BUCKET}/capture" in line for line in lines)


class NoAws:
    """A session that fails the test on any AWS call: the rules below must be checked before."""

    region_name = REGION

    def client(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"an AWS call was made: client{args}")


# One case per documented Serverless Inference restriction that our settings can reach; moto would
# accept each of them, SageMaker refuses them.
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"variants": [Variant("A", MODEL_A), Variant("B", MODEL_B)]}, "one production variant, not 2: for A/B use"),
        ({"data_capture": DataCapture(f"s3://{BUCKET}/capture")}, "do not support Data Capture: .* --mode realtime"),
        ({"autoscaling": Autoscaling()}, "serverless endpoints scale by themselves"),
        ({"memory_mb": 1500}, "serverless memory 1500 MB: SageMaker offers 1024, 2048, 3072, 4096, 5120, 6144"),
        ({"max_concurrency": 0}, "serverless max concurrency 0: SageMaker allows 1 to 200"),
        ({"max_concurrency": 201}, "serverless max concurrency 201"),
    ],
)
def test_serverless_restrictions_are_refused_before_any_call(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(AwsError, match=message):
        deploy(spec(**changes), NoAws(), say=quiet)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"data_capture": DataCapture("capture/here")}, "expected s3://bucket/prefix"),
        ({"data_capture": DataCapture(f"s3://{BUCKET}/c", sampling_percent=0)}, "capture percentage 0: expected 1"),
        ({"data_capture": DataCapture(f"s3://{BUCKET}/c", sampling_percent=101)}, "capture percentage 101"),
        ({"instance_count": 0}, "at least 1"),
    ],
)
def test_bad_real_time_settings_are_refused_before_any_call(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(AwsError, match=message):
        deploy(spec(serverless=False, **changes), NoAws(), say=quiet)  # type: ignore[arg-type]


def test_destroy_deletes_what_deploy_created(aws: boto3.Session) -> None:
    rule = Autoscaling()
    deploy(
        spec(serverless=False, autoscaling=rule, variants=[Variant("A", MODEL_A, 1), Variant("B", MODEL_B, 1)]),
        aws,
        say=quiet,
    )
    lines: list[str] = []
    deleted = destroy("sentiment-endpoint", aws, say=lines.append)
    assert sorted(d.split()[0] for d in deleted) == [
        "autoscaling",
        "autoscaling",
        "endpoint",
        "endpoint",
        "model",
        "model",
    ]
    sagemaker = aws.client("sagemaker")
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert sagemaker.list_models()["Models"] == []
    assert (
        aws.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        == []
    )
    assert all(line.startswith("deleted ") for line in lines)
    assert destroy("sentiment-endpoint", aws, say=lines.append) == []
    assert lines[-1] == "no endpoint sentiment-endpoint: nothing to delete there"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"variants": [Variant("AllTraffic", f"s3://{BUCKET}/missing/model.tar.gz")]}, "model artifact not found"),
        ({"image_uri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/sentiment-model:nope"}, "image not found"),
        ({"image_uri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/other:1"}, "image not found"),
        ({"image_uri": "sentiment-model:latest"}, "expected ACCOUNT.dkr.ecr"),
        ({"name": "Sentiment_Endpoint"}, "lower-case letters"),
        ({"role_arn": ""}, "execution role"),
        ({"autoscaling": Autoscaling()}, "serverless endpoints scale by themselves"),
    ],
)
def test_bad_deploy_input_creates_nothing(aws: boto3.Session, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(AwsError, match=message):
        deploy(spec(**changes), aws, say=quiet)
    assert aws.client("sagemaker").list_models()["Models"] == []


def test_an_existing_endpoint_is_not_replaced(aws: boto3.Session) -> None:
    deploy(spec(), aws, say=quiet)
    with pytest.raises(AwsError, match="already exists"):
        deploy(spec(variants=[Variant("AllTraffic", MODEL_B)]), aws, say=quiet)
    assert len(aws.client("sagemaker").list_models()["Models"]) == 1


def test_a_failed_step_removes_what_this_deploy_created(aws: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    original = aws.client

    def client(service: str, **kwargs: Any) -> Any:
        made = original(service, **kwargs)
        if service == "sagemaker":

            def refuse(**_: Any) -> None:
                raise made.exceptions.ResourceLimitExceeded(
                    {"Error": {"Code": "ResourceLimitExceeded", "Message": "account limit reached"}}, "CreateEndpoint"
                )

            made.create_endpoint = refuse
        return made

    monkeypatch.setattr(aws, "client", client)
    with pytest.raises(AwsError) as failure:
        deploy(spec(), aws, say=quiet)
    assert "account limit reached" in str(failure.value)
    assert "removed what this deploy had created" in str(failure.value)
    sagemaker = original("sagemaker")
    assert sagemaker.list_models()["Models"] == [] and sagemaker.list_endpoint_configs()["EndpointConfigs"] == []


def test_upload_data_and_model(aws: boto3.Session, tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("1,2,5,6\n")
    (tmp_path / "word_dict.json").write_text("{}")
    uris = upload_data(tmp_path, f"s3://{BUCKET}/imdb", aws, say=quiet)
    assert uris == [f"s3://{BUCKET}/imdb/train.csv", f"s3://{BUCKET}/imdb/word_dict.json"]
    uri = upload_model(PROJECT_ROOT / "model" / "artifact", f"s3://{BUCKET}/shipped/model.tar.gz", aws, say=quiet)
    body = aws.client("s3").get_object(Bucket=BUCKET, Key="shipped/model.tar.gz")["Body"].read()
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(body)
    with tarfile.open(archive) as tar:
        assert {"model.pt", "config.json", "word_dict.json", "metrics.json"} <= set(tar.getnames())
    assert uri.endswith("model.tar.gz")
    with pytest.raises(AwsError, match=r"has no train\.csv"):
        upload_data(tmp_path / "nothing", f"s3://{BUCKET}/imdb", aws, say=quiet)


STACK_TEMPLATE = {
    "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "sentiment-website"}}},
    "Outputs": {
        "ApiUrl": {"Value": "https://abc123.execute-api.us-east-1.amazonaws.com/v1"},
        "WebsiteUrl": {"Value": "https://d111111abcdef8.cloudfront.net"},
        "WebsiteBucketName": {"Value": {"Ref": "Bucket"}},
        "DistributionId": {"Value": "EDFDVBD6EXAMPLE"},
    },
}


def test_publish_writes_config_and_content_types(aws: boto3.Session) -> None:
    cloudfront = aws.client("cloudfront")
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "test",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "s3",
                        "DomainName": "sentiment-website.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "redirect-to-https"},
        }
    )["Distribution"]["Id"]
    template = json.loads(json.dumps(STACK_TEMPLATE))
    template["Outputs"]["DistributionId"]["Value"] = distribution
    aws.client("cloudformation").create_stack(StackName="sentiment", TemplateBody=json.dumps(template))
    outputs = stack_outputs("sentiment", aws)
    keys = publish(PROJECT_ROOT / "static", outputs, aws, say=quiet)
    s3 = aws.client("s3")
    assert {"index.html", "config.js", "styles.css", "js/main.js", "openapi.json"} <= set(keys)
    types = {key: s3.head_object(Bucket="sentiment-website", Key=key)["ContentType"] for key in keys}
    assert types["index.html"] == "text/html; charset=utf-8"
    assert types["js/main.js"] in ("text/javascript; charset=utf-8", "application/javascript; charset=utf-8")
    assert types["styles.css"] == "text/css; charset=utf-8"
    config = s3.get_object(Bucket="sentiment-website", Key="config.js")["Body"].read().decode()
    assert '"apiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/v1"' in config
    assert s3.head_object(Bucket="sentiment-website", Key="config.js")["CacheControl"] == "no-cache"
    invalidations = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    assert invalidations["Quantity"] == 1
    deleted = delete_stack("sentiment", aws, say=quiet)
    assert deleted[0].startswith(f"{len(keys)} website objects")
    assert "sentiment-website" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]  # emptied, then deleted


def test_a_stack_without_outputs_is_named(aws: boto3.Session) -> None:
    with pytest.raises(AwsError, match="no stack sentiment"):
        stack_outputs("sentiment", aws)
    bare = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}}
    aws.client("cloudformation").create_stack(StackName="sentiment", TemplateBody=json.dumps(bare))
    with pytest.raises(AwsError, match=r"has no output ApiUrl, WebsiteUrl, WebsiteBucketName, DistributionId"):
        stack_outputs("sentiment", aws)


def test_no_credentials_and_a_wrong_region(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(AwsError, match="no AWS credentials found"):
        session(REGION)
    with pytest.raises(AwsError, match="not an AWS region with SageMaker"):
        session("us-nowhere-9")


def test_the_commands_end_to_end(aws: boto3.Session, capsys: pytest.CaptureFixture[str]) -> None:
    """upload-model -> deploy (A/B) -> destroy, as the README's commands run them."""
    from sentiment.aws.commands import main

    model = f"s3://{BUCKET}/shipped/model.tar.gz"
    assert main("upload-model", ["--s3", model, "--region", REGION]) == 0
    assert (
        main(
            "deploy",
            [
                "--image-uri",
                IMAGE,
                "--role-arn",
                ROLE,
                "--mode",
                "realtime",
                "--variant",
                f"Current={model}@3",
                "--variant",
                f"Candidate={MODEL_B}@1",
                "--region",
                REGION,
            ],
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "endpoint sentiment-endpoint is ready. Next: make deploy ENDPOINT_NAME=sentiment-endpoint" in out
    assert "variants Current=3, Candidate=1" in out
    assert main("destroy", ["--keep-stack", "--region", REGION]) == 0
    assert "4 things deleted." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("command", "argv", "message"),
    [
        (
            "deploy",
            ["--image-uri", IMAGE, "--role-arn", ROLE, "--model-data", MODEL_A, "--region", "mars-1"],
            "not an AWS region with SageMaker",
        ),
        (
            "deploy",
            ["--image-uri", IMAGE, "--role-arn", ROLE, "--model-data", f"s3://{BUCKET}/none/model.tar.gz"],
            "model artifact not found",
        ),
        (
            "deploy",
            ["--image-uri", IMAGE, "--role-arn", ROLE, "--variant", f"A={MODEL_A}", "--variant", f"B={MODEL_B}"],
            "serverless endpoints take one production variant, not 2: for A/B use --mode realtime",
        ),
        (
            "deploy",
            ["--image-uri", IMAGE, "--role-arn", ROLE, "--model-data", MODEL_A, "--data-capture", f"s3://{BUCKET}/c"],
            "serverless endpoints do not support Data Capture",
        ),
        ("publish", [], "no stack sentiment"),
        ("upload-data", ["--data", "nowhere", "--s3", f"s3://{BUCKET}/imdb"], "has no train.csv"),
        ("upload-model", ["--model-dir", "nowhere", "--s3", f"s3://{BUCKET}/m/model.tar.gz"], "not a model artifact"),
    ],
)
def test_command_errors_are_one_line(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], command: str, argv: list[str], message: str
) -> None:
    from sentiment.aws.commands import main

    assert main(command, argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
