"""What is billing now for this project in one region: its SageMaker endpoints (mode, instances,
autoscaling range, time up, rough hourly and monthly cost) and its running training and transform jobs.

The project's endpoints carry the tag `project=sentiment` (training/deploy_endpoint.py sets it);
its jobs are named `sentiment-...`. Prices come from `prices.py` (a dated table: estimates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sentiment.ops.prices import HOURS_PER_MONTH, PRICES_AS_OF, SERVERLESS_PER_GB_SECOND, instance_hourly

PROJECT_TAG = ("project", "sentiment")
JOB_PREFIX = "sentiment"
# Endpoint states with instances in service (SageMaker's EndpointStatus values); the others bill nothing.
BILLING_STATUSES = frozenset({"InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"})


@dataclass(frozen=True)
class VariantCost:
    name: str
    mode: str  # "real-time" or "serverless"
    instance_type: str = ""
    instances: int = 0
    autoscaling: tuple[int, int] | None = None  # (min, max) instances
    memory_mb: int = 0
    max_concurrency: int = 0
    provisioned: int = 0  # serverless provisioned concurrency: billed while idle
    hourly: float | None = 0.0  # dollars now; None: the instance type is not in the price table


@dataclass(frozen=True)
class EndpointCost:
    name: str
    status: str
    created: datetime
    variants: list[VariantCost] = field(default_factory=list)

    def hours_up(self, now: datetime) -> float:
        return (now - self.created).total_seconds() / 3600

    @property
    def hourly(self) -> float | None:
        """What it bills per hour now: nothing while it is failed, being created or deleted (no
        instance is in service then), else its variants' prices."""
        if self.status not in BILLING_STATUSES:
            return 0.0
        prices = [v.hourly for v in self.variants]
        return None if any(p is None for p in prices) else sum(p for p in prices if p is not None)


@dataclass(frozen=True)
class JobCost:
    kind: str  # "training" or "transform"
    name: str
    instance_type: str
    instances: int
    started: datetime

    @property
    def hourly(self) -> float | None:
        price = instance_hourly(self.instance_type)
        return None if price is None else price * self.instances


def _tagged(sagemaker: Any, arn: str) -> bool:
    tags = sagemaker.list_tags(ResourceArn=arn).get("Tags", [])
    return any((t["Key"], t["Value"]) == PROJECT_TAG for t in tags)


def _autoscaling(scaling: Any, endpoint: str, variant: str) -> tuple[int, int] | None:
    resource = f"endpoint/{endpoint}/variant/{variant}"
    found = scaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource])["ScalableTargets"]
    return (int(found[0]["MinCapacity"]), int(found[0]["MaxCapacity"])) if found else None


def _variant(scaling: Any, endpoint: str, described: dict[str, Any], configured: dict[str, Any]) -> VariantCost:
    name = described["VariantName"]
    serverless = configured.get("ServerlessConfig") or described.get("CurrentServerlessConfig")
    if serverless:
        provisioned = int(serverless.get("ProvisionedConcurrency", 0))
        memory = int(serverless["MemorySizeInMB"])
        # Idle serverless costs nothing; provisioned concurrency bills every second it exists.
        hourly = provisioned * memory / 1024 * SERVERLESS_PER_GB_SECOND * 3600
        return VariantCost(
            name,
            "serverless",
            memory_mb=memory,
            max_concurrency=int(serverless["MaxConcurrency"]),
            provisioned=provisioned,
            hourly=hourly,
        )
    instance_type = configured["InstanceType"]
    count = int(described.get("CurrentInstanceCount", configured.get("InitialInstanceCount", 1)))
    price = instance_hourly(instance_type)
    return VariantCost(
        name,
        "real-time",
        instance_type,
        count,
        _autoscaling(scaling, endpoint, name),
        hourly=None if price is None else price * count,
    )


def project_endpoints(sagemaker: Any, scaling: Any) -> list[EndpointCost]:
    """The project's endpoints in the client's region, whatever their status."""
    found = []
    for page in sagemaker.get_paginator("list_endpoints").paginate():
        for summary in page["Endpoints"]:
            if not _tagged(sagemaker, summary["EndpointArn"]):
                continue
            endpoint = sagemaker.describe_endpoint(EndpointName=summary["EndpointName"])
            config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
            configured = {v["VariantName"]: v for v in config["ProductionVariants"]}
            described = endpoint.get("ProductionVariants") or config["ProductionVariants"]
            variants = [_variant(scaling, endpoint["EndpointName"], v, configured[v["VariantName"]]) for v in described]
            found.append(
                EndpointCost(endpoint["EndpointName"], endpoint["EndpointStatus"], endpoint["CreationTime"], variants)
            )
    return found


# kind -> (list call, its summaries key, describe call, its name key, its resources key)
_JOB_KINDS = {
    "training": (
        "list_training_jobs",
        "TrainingJobSummaries",
        "describe_training_job",
        "TrainingJobName",
        "ResourceConfig",
    ),
    "transform": (
        "list_transform_jobs",
        "TransformJobSummaries",
        "describe_transform_job",
        "TransformJobName",
        "TransformResources",
    ),
}


def running_jobs(sagemaker: Any) -> list[JobCost]:
    """The project's training and Batch Transform jobs still in progress."""
    jobs = []
    for kind, (lister, summaries, describer, name_key, resources_key) in _JOB_KINDS.items():
        for page in sagemaker.get_paginator(lister).paginate(StatusEquals="InProgress", NameContains=JOB_PREFIX):
            for summary in page[summaries]:
                job = getattr(sagemaker, describer)(**{name_key: summary[name_key]})
                resources = job[resources_key]
                jobs.append(
                    JobCost(
                        kind,
                        job[name_key],
                        resources["InstanceType"],
                        int(resources["InstanceCount"]),
                        job["CreationTime"],
                    )
                )
    return jobs


def _money(value: float | None) -> str:
    return "price unknown" if value is None else f"${value:,.2f}"


def report(region: str, endpoints: list[EndpointCost], jobs: list[JobCost], now: datetime | None = None) -> str:
    """A plain-text account of what bills now, and roughly how much."""
    now = now or datetime.now(UTC)
    lines = [f"Billing now for project {PROJECT_TAG[1]!r} in {region} (prices: {PRICES_AS_OF}; estimates):"]
    if not endpoints and not jobs:
        lines.append("  nothing: no tagged endpoint and no running job.")
    for endpoint in endpoints:
        lines.append(
            f"  endpoint {endpoint.name} ({endpoint.status}), up {endpoint.hours_up(now):,.1f} h: "
            f"{_money(endpoint.hourly)}/hour, about {_money(_monthly(endpoint.hourly))}/month"
        )
        for v in endpoint.variants:
            if v.mode == "serverless":
                extra = f", provisioned concurrency {v.provisioned} (billed while idle)" if v.provisioned else ""
                lines.append(
                    f"    variant {v.name}: serverless, {v.memory_mb} MB, up to {v.max_concurrency} at "
                    f"once; pay per use (${SERVERLESS_PER_GB_SECOND:.7f} per GB-second){extra}"
                )
            else:
                scaling = f", autoscaling {v.autoscaling[0]}-{v.autoscaling[1]}" if v.autoscaling else ""
                lines.append(
                    f"    variant {v.name}: real-time, {v.instances} x {v.instance_type}{scaling}: "
                    f"{_money(v.hourly)}/hour whether used or not"
                )
    for job in jobs:
        hours = (now - job.started).total_seconds() / 3600
        lines.append(
            f"  {job.kind} job {job.name}: {job.instances} x {job.instance_type}, running {hours:,.1f} h: "
            f"{_money(job.hourly)}/hour"
        )
    total = [e.hourly for e in endpoints] + [j.hourly for j in jobs]
    if total:
        known = sum(t for t in total if t is not None)
        lines.append(
            f"  total: {_money(known)}/hour, about {_money(_monthly(known))}/month"
            + (" (plus what the table does not price)" if None in total else "")
        )
    lines.append("  `make destroy` deletes the endpoint; `python training/destroy.py --help` for the options.")
    return "\n".join(lines)


def _monthly(hourly: float | None) -> float | None:
    return None if hourly is None else hourly * HOURS_PER_MONTH
