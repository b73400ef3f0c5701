"""`sentiment aws status` and the idle-endpoint reaper against moto: what bills, what is deleted."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from sentiment.aws.endpoint import Autoscaling, deploy
from sentiment.core.config import PROJECT_ROOT
from sentiment.ops.prices import HOURS_PER_MONTH, INSTANCE_HOURLY
from sentiment.ops.reaper import reap
from sentiment.ops.status import project_endpoints, report, running_jobs
from tests.moto_aws import REGION, quiet, spec

HOUR = timedelta(hours=1)


def clients(session: boto3.Session) -> tuple[Any, Any, Any]:
    return session.client("sagemaker"), session.client("application-autoscaling"), session.client("cloudwatch")


@pytest.fixture
def endpoints(aws: boto3.Session) -> Iterator[boto3.Session]:
    """A real-time endpoint with autoscaling, a serverless one, and one that is not the project's."""
    deploy(
        spec(name="rt", serverless=False, instance_type="ml.c5.large", instance_count=2, autoscaling=Autoscaling(2, 6)),
        aws,
        say=quiet,
    )
    deploy(spec(name="sl", memory_mb=3072, max_concurrency=7), aws, say=quiet)
    deploy(spec(name="other", serverless=False, tags={"project": "someone-else"}), aws, say=quiet)
    yield aws


def test_status_lists_what_bills_with_rough_costs(endpoints: boto3.Session) -> None:
    sagemaker, scaling, _ = clients(endpoints)
    found = {e.name: e for e in project_endpoints(sagemaker, scaling)}
    assert set(found) == {"rt", "sl"}  # the untagged endpoint is not ours
    (rt,) = found["rt"].variants
    assert (rt.mode, rt.instance_type, rt.instances, rt.autoscaling) == ("real-time", "ml.c5.large", 2, (2, 6))
    assert rt.hourly == pytest.approx(2 * INSTANCE_HOURLY["ml.c5.large"])
    (sl,) = found["sl"].variants
    assert (sl.mode, sl.memory_mb, sl.max_concurrency, sl.hourly) == ("serverless", 3072, 7, 0.0)
    later = found["rt"].created + 5 * HOUR
    text = report(REGION, list(found.values()), running_jobs(sagemaker), later)
    hourly = 2 * INSTANCE_HOURLY["ml.c5.large"]
    monthly = hourly * HOURS_PER_MONTH
    assert f"endpoint rt (InService), up 5.0 h: ${hourly:,.2f}/hour, about ${monthly:,.2f}/month" in text
    assert "variant AllTraffic: real-time, 2 x ml.c5.large, autoscaling 2-6" in text
    assert "variant AllTraffic: serverless, 3072 MB, up to 7 at once; pay per use" in text
    assert "other" not in text
    assert f"total: ${hourly:,.2f}/hour" in text


def test_status_prices_running_jobs_and_says_what_it_cannot_price() -> None:
    """moto completes jobs at once, so the SageMaker answers for a running job are stubbed (botocore
    Stubber checks our requests against the API model)."""
    sagemaker = boto3.client("sagemaker", region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
    started = datetime.now(UTC) - 2 * HOUR
    wanted = {"StatusEquals": "InProgress", "NameContains": "sentiment"}
    with Stubber(sagemaker) as stub:
        stub.add_response(
            "list_training_jobs",
            {
                "TrainingJobSummaries": [
                    {
                        "TrainingJobName": "sentiment-train-1",
                        "TrainingJobArn": "arn:x",
                        "CreationTime": started,
                        "TrainingJobStatus": "InProgress",
                    }
                ]
            },
            wanted,
        )
        stub.add_response(
            "describe_training_job",
            {
                "TrainingJobName": "sentiment-train-1",
                "TrainingJobArn": "arn:x",
                "CreationTime": started,
                "TrainingJobStatus": "InProgress",
                "SecondaryStatus": "Training",
                "AlgorithmSpecification": {"TrainingInputMode": "File"},
                "ModelArtifacts": {"S3ModelArtifacts": ""},
                "ResourceConfig": {"InstanceType": "ml.p9.mega", "InstanceCount": 2, "VolumeSizeInGB": 10},
                "StoppingCondition": {},
            },
            {"TrainingJobName": "sentiment-train-1"},
        )
        stub.add_response("list_transform_jobs", {"TransformJobSummaries": []}, wanted)
        jobs = running_jobs(sagemaker)
    assert [(j.kind, j.name, j.instance_type, j.instances) for j in jobs] == [
        ("training", "sentiment-train-1", "ml.p9.mega", 2)
    ]
    text = report(REGION, [], jobs, started + 2 * HOUR)
    assert "training job sentiment-train-1: 2 x ml.p9.mega, running 2.0 h: price unknown/hour" in text
    assert "(plus what the table does not price)" in text


def test_status_with_nothing_running(aws: boto3.Session) -> None:
    sagemaker, scaling, _ = clients(aws)
    assert "nothing: no tagged endpoint and no running job." in report(
        REGION, project_endpoints(sagemaker, scaling), running_jobs(sagemaker)
    )


def invoked(cloudwatch: Any, endpoint: str, when: datetime, count: float = 3) -> None:
    cloudwatch.put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[
            {
                "MetricName": "Invocations",
                "Dimensions": [
                    {"Name": "EndpointName", "Value": endpoint},
                    {"Name": "VariantName", "Value": "AllTraffic"},
                ],
                "Timestamp": when,
                "Value": count,
            }
        ],
    )


def test_the_reaper_deletes_only_idle_real_time_project_endpoints(endpoints: boto3.Session) -> None:
    sagemaker, scaling, cloudwatch = clients(endpoints)
    deploy(spec(name="busy", serverless=False), endpoints, say=quiet)
    now = datetime.now(UTC) + 30 * HOUR  # every endpoint is now older than the window
    invoked(cloudwatch, "busy", now - 2 * HOUR)
    invoked(cloudwatch, "rt", now - 30 * HOUR)  # called, but before the window
    lines: list[str] = []
    assert reap(sagemaker, scaling, cloudwatch, idle_hours=24, dry_run=True, say=lines.append, now=now) == ["rt"]
    hourly = 2 * INSTANCE_HOURLY["ml.c5.large"]
    assert lines == [f"would delete endpoint rt: no invocation in 24 h, billing ${hourly:,.2f}/hour"]
    assert {e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]} == {"rt", "sl", "other", "busy"}

    assert reap(sagemaker, scaling, cloudwatch, idle_hours=24, say=lines.append, now=now) == ["rt"]
    assert lines[-1].startswith("deleted endpoint rt: no invocation in 24 h") and "models remain" in lines[-1]
    # serverless (free while idle), someone else's, and a busy one stay
    assert {e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]} == {"sl", "other", "busy"}
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"]  # configs and models stay for a redeploy


def test_the_reaper_spares_endpoints_younger_than_the_window(endpoints: boto3.Session) -> None:
    sagemaker, scaling, cloudwatch = clients(endpoints)
    assert reap(sagemaker, scaling, cloudwatch, idle_hours=24, say=quiet, now=datetime.now(UTC) + HOUR) == []


def _reaper_module() -> Any:
    """functions/reaper/app.py, loaded as the Lambda runtime loads it (its folder first on the path)."""
    path = PROJECT_ROOT / "functions" / "reaper" / "app.py"
    loaded = importlib.util.spec_from_file_location("reaper_app", path)
    assert loaded and loaded.loader
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return module


def test_the_reaper_handler_reads_its_settings(endpoints: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDLE_HOURS", "1")
    monkeypatch.setenv("REAPER_DRY_RUN", "true")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "sentiment-reaper")
    app = _reaper_module()

    class Context:
        function_name, memory_limit_in_mb, aws_request_id = "reaper", 256, "1"
        invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:reaper"

    # the endpoints were created just now: younger than the window, so none is idle yet
    assert app.lambda_handler({}, Context()) == {"idle_hours": 1.0, "dry_run": True, "endpoints": []}
    monkeypatch.setenv("IDLE_HOURS", "soon")
    with pytest.raises(ValueError, match="IDLE_HOURS='soon': expected a number of hours, at least 1"):
        app.lambda_handler({}, Context())


@pytest.mark.parametrize(
    ("status", "hourly"), [("InService", 0.23), ("Updating", 0.23), ("Failed", 0.0), ("Creating", 0.0)]
)
def test_only_an_endpoint_with_instances_in_service_bills(status: str, hourly: float) -> None:
    from sentiment.ops.status import EndpointCost, VariantCost

    variant = VariantCost("AllTraffic", "real-time", "ml.m5.large", 1, hourly=0.23)
    assert EndpointCost("sentiment-endpoint", status, datetime.now(UTC), [variant]).hourly == hourly
