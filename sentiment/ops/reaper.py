"""The idle-endpoint reaper: delete this project's real-time endpoints that nobody has called for a while.

A real-time endpoint bills every hour it exists; a forgotten one is the classic surprise bill. The
reaper (a scheduled Lambda, off by default: template.yaml `EnableIdleEndpointReaper`) deletes an
endpoint of the project (tag project=sentiment) that is InService, older than the window, and had
zero invocations over the last `idle_hours` (CloudWatch AWS/SageMaker Invocations, every variant).
Serverless endpoints cost nothing while idle and are left alone. The endpoint configuration and
models stay (they cost nothing), so `training/deploy_endpoint.py` can bring it back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sentiment.ops.status import EndpointCost, project_endpoints

Say = Callable[[str], None]


MIN_IDLE_HOURS = 1.0  # CloudWatch's hourly sums need a window of at least an hour


def idle_hours(setting: str) -> float:
    """The IDLE_HOURS setting as hours; ValueError naming it if it is not a number >= MIN_IDLE_HOURS."""
    try:
        hours = float(setting)
    except ValueError:
        hours = float("nan")
    if not hours >= MIN_IDLE_HOURS or hours == float("inf"):
        raise ValueError(f"IDLE_HOURS={setting!r}: expected a number of hours, at least {MIN_IDLE_HOURS:g}")
    return hours


def invocations(cloudwatch: Any, endpoint: EndpointCost, since: datetime, until: datetime) -> float:
    """Invocations of every variant of the endpoint between `since` and `until` (hourly sums)."""
    queries = [
        {
            "Id": f"v{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SageMaker",
                    "MetricName": "Invocations",
                    "Dimensions": [
                        {"Name": "EndpointName", "Value": endpoint.name},
                        {"Name": "VariantName", "Value": variant.name},
                    ],
                },
                "Period": 3600,
                "Stat": "Sum",
            },
        }
        for i, variant in enumerate(endpoint.variants)
    ]
    answer = cloudwatch.get_metric_data(MetricDataQueries=queries, StartTime=since, EndTime=until)
    return float(sum(sum(result["Values"]) for result in answer["MetricDataResults"]))


def idle_endpoints(
    sagemaker: Any, scaling: Any, cloudwatch: Any, idle_hours: float, now: datetime | None = None
) -> list[EndpointCost]:
    """The project's real-time endpoints, InService and older than `idle_hours`, with no invocation in
    the last `idle_hours`."""
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=idle_hours)
    idle = []
    for endpoint in project_endpoints(sagemaker, scaling):
        if endpoint.status != "InService" or endpoint.created > since:
            continue
        if all(v.mode == "serverless" for v in endpoint.variants):
            continue
        if invocations(cloudwatch, endpoint, since, now) == 0:
            idle.append(endpoint)
    return idle


def reap(
    sagemaker: Any,
    scaling: Any,
    cloudwatch: Any,
    idle_hours: float,
    dry_run: bool = False,
    say: Say = print,
    now: datetime | None = None,
) -> list[str]:
    """Delete (or, with `dry_run`, only name) the idle endpoints; return their names."""
    deleted = []
    for endpoint in idle_endpoints(sagemaker, scaling, cloudwatch, idle_hours, now):
        hourly = f"${endpoint.hourly:,.2f}/hour" if endpoint.hourly is not None else "an unknown price"
        if dry_run:
            say(f"would delete endpoint {endpoint.name}: no invocation in {idle_hours:g} h, billing {hourly}")
        else:
            sagemaker.delete_endpoint(EndpointName=endpoint.name)
            say(
                f"deleted endpoint {endpoint.name}: no invocation in {idle_hours:g} h, it was billing {hourly}; "
                "its configuration and models remain"
            )
        deleted.append(endpoint.name)
    return deleted
