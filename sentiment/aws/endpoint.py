"""Create and delete the SageMaker endpoint: models, endpoint config (real-time, serverless or A/B
variants), endpoint, and target-tracking autoscaling. Nothing is left half-created without saying so."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import boto3
from botocore.exceptions import ClientError
from tqdm import tqdm

from sentiment.aws.session import AwsError, aws_errors, exists, find
from sentiment.core import config
from sentiment.data.storage import split_s3

Say = Callable[[str], None]
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
    r"(?P<repository>[^:@]+)(:(?P<tag>[^@]+)|@(?P<digest>sha256:[0-9a-f]{64}))$"
)
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"


@dataclass(frozen=True)
class Variant:
    """One production variant: a model artifact and its share of the traffic."""

    name: str
    model_data: str  # s3://.../model.tar.gz
    weight: float = 1.0


@dataclass(frozen=True)
class Autoscaling:
    min_instances: int = 1
    max_instances: int = 4
    invocations_per_instance: float = 200.0  # per minute, SageMakerVariantInvocationsPerInstance
    scale_in_cooldown_s: int = 300
    scale_out_cooldown_s: int = 60


@dataclass(frozen=True)
class DataCapture:
    """SageMaker Data Capture: a share of the requests and answers, as JSON lines under `destination`
    (s3://bucket/prefix), for `sentiment drift`. Real-time endpoints only."""

    destination: str
    sampling_percent: int = 100

    def request(self) -> dict[str, Any]:
        """The endpoint config's DataCaptureConfig."""
        return {
            "EnableCapture": True,
            "InitialSamplingPercentage": self.sampling_percent,
            "DestinationS3Uri": self.destination,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]},
        }


# What SageMaker Serverless Inference supports (docs: "Deploy models with Amazon SageMaker Serverless
# Inference", feature exclusions and endpoint configuration); moto accepts all of it, the service not.
SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)
SERVERLESS_MAX_CONCURRENCY = (1, 200)


@dataclass(frozen=True)
class EndpointSpec:
    name: str
    image_uri: str
    role_arn: str
    variants: list[Variant]
    serverless: bool = True  # scale to zero: the cheap default for a demo
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    memory_mb: int = 2048
    max_concurrency: int = 5
    autoscaling: Autoscaling | None = None
    data_capture: DataCapture | None = None
    tags: dict[str, str] = field(default_factory=lambda: {"project": "sentiment"})
    stamp: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S"))  # names this deploy's resources

    @property
    def aws_tags(self) -> list[dict[str, str]]:
        return [{"Key": key, "Value": value} for key, value in self.tags.items()]


def serverless_problem(spec: EndpointSpec) -> str | None:
    """Why SageMaker would reject this spec as a serverless endpoint (None: it would not)."""
    realtime = "use --mode realtime"
    if len(spec.variants) > 1:
        return f"serverless endpoints take one production variant, not {len(spec.variants)}: for A/B {realtime}"
    if spec.data_capture:
        return f"serverless endpoints do not support Data Capture: to capture traffic for drift reports {realtime}"
    if spec.autoscaling:
        return "serverless endpoints scale by themselves: autoscaling is for real-time endpoints (--mode realtime)"
    if spec.memory_mb not in SERVERLESS_MEMORY_MB:
        sizes = ", ".join(map(str, SERVERLESS_MEMORY_MB))
        return f"serverless memory {spec.memory_mb} MB: SageMaker offers {sizes}"
    low, high = SERVERLESS_MAX_CONCURRENCY
    if not low <= spec.max_concurrency <= high:
        return f"serverless max concurrency {spec.max_concurrency}: SageMaker allows {low} to {high}"
    return None


def check_spec(spec: EndpointSpec) -> None:
    """Rules checked before any AWS call (moto would accept what the service refuses)."""
    if not re.fullmatch(r"[a-z0-9](-*[a-z0-9]){0,62}", spec.name):
        raise AwsError(f"endpoint name {spec.name!r}: use lower-case letters, digits and hyphens (at most 63)")
    if not spec.variants:
        raise AwsError("give at least one model artifact")
    if len({v.name for v in spec.variants}) != len(spec.variants):
        raise AwsError("variant names must differ")
    if spec.serverless and (problem := serverless_problem(spec)):
        raise AwsError(problem)
    if not spec.serverless and spec.instance_count < 1:
        raise AwsError(f"instance count {spec.instance_count}: a real-time endpoint needs at least 1")
    if spec.data_capture:
        if not spec.data_capture.destination.startswith("s3://") or not split_s3(spec.data_capture.destination)[0]:
            raise AwsError(f"data capture destination {spec.data_capture.destination!r}: expected s3://bucket/prefix")
        if not 0 < spec.data_capture.sampling_percent <= 100:
            raise AwsError(f"capture percentage {spec.data_capture.sampling_percent}: expected 1 to 100")


def _check(spec: EndpointSpec, aws: boto3.Session) -> None:
    check_spec(spec)
    if not spec.role_arn.startswith("arn:"):
        raise AwsError("give the SageMaker execution role's ARN (--role-arn or $SAGEMAKER_ROLE_ARN)")
    sagemaker, s3 = aws.client("sagemaker"), aws.client("s3")
    with aws_errors(f"looking for endpoint {spec.name}"):
        if exists(lambda: sagemaker.describe_endpoint(EndpointName=spec.name)):
            raise AwsError(f"endpoint {spec.name} already exists: `make destroy` it first or pick another name")
    for variant in spec.variants:
        if not variant.model_data.startswith("s3://") or not variant.model_data.endswith(".tar.gz"):
            raise AwsError(f"model artifact {variant.model_data!r}: expected s3://.../model.tar.gz")
        bucket, key = split_s3(variant.model_data)
        with aws_errors(f"looking for the model artifact {variant.model_data}"):
            if not exists(partial(s3.head_object, Bucket=bucket, Key=key)):
                raise AwsError(f"model artifact not found: {variant.model_data} (train first, or `make upload-model`)")
    match = _ECR_IMAGE.match(spec.image_uri)
    if match is None:
        raise AwsError(f"image {spec.image_uri!r}: expected ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG")
    image = {"imageTag": match["tag"]} if match["tag"] else {"imageDigest": match["digest"]}
    ecr = aws.client("ecr", region_name=match["region"])
    with aws_errors(f"looking for the model-server image {spec.image_uri}"):
        found = exists(
            partial(
                ecr.describe_images, repositoryName=match["repository"], registryId=match["account"], imageIds=[image]
            )
        )
    if not found:
        raise AwsError(f"image not found: {spec.image_uri}; build and push model/Dockerfile first (README: Deploy)")


def endpoint_config(spec: EndpointSpec, model_names: dict[str, str]) -> dict[str, Any]:
    """The CreateEndpointConfig request: serverless or real-time variants with their weights."""
    variants = []
    for variant in spec.variants:
        entry: dict[str, Any] = {
            "VariantName": variant.name,
            "ModelName": model_names[variant.name],
            "InitialVariantWeight": variant.weight,
        }
        if spec.serverless:
            entry["ServerlessConfig"] = {"MemorySizeInMB": spec.memory_mb, "MaxConcurrency": spec.max_concurrency}
        else:
            entry["InstanceType"] = spec.instance_type
            entry["InitialInstanceCount"] = spec.instance_count
        variants.append(entry)
    request: dict[str, Any] = {
        "EndpointConfigName": f"{spec.name}-{spec.stamp}",
        "ProductionVariants": variants,
        "Tags": spec.aws_tags,
    }
    if spec.data_capture:
        request["DataCaptureConfig"] = spec.data_capture.request()
    return request


def deploy(spec: EndpointSpec, aws: boto3.Session, say: Say = print, wait: bool = True, timeout_s: float = 1800) -> str:
    """Create models, endpoint config and endpoint (then autoscaling); undo our part if a step fails."""
    _check(spec, aws)
    sagemaker = aws.client("sagemaker")
    created: list[tuple[str, str]] = []
    tags = spec.aws_tags
    try:
        model_names = {}
        for variant in spec.variants:
            name = f"{spec.name}-{variant.name.lower()}-{spec.stamp}"[:63]
            with aws_errors(f"creating model {name}"):
                sagemaker.create_model(
                    ModelName=name,
                    ExecutionRoleArn=spec.role_arn,
                    PrimaryContainer={
                        "Image": spec.image_uri,
                        "ModelDataUrl": variant.model_data,
                        "Environment": {config.ENV_VARIANT_NAME: variant.name},
                    },
                    Tags=tags,
                )
            created.append(("model", name))
            model_names[variant.name] = name
            say(f"created model {name} ({variant.model_data})")
        endpoint_settings = endpoint_config(spec, model_names)
        with aws_errors(f"creating endpoint config {endpoint_settings['EndpointConfigName']}"):
            sagemaker.create_endpoint_config(**endpoint_settings)
        created.append(("endpoint config", endpoint_settings["EndpointConfigName"]))
        say(
            f"created endpoint config {endpoint_settings['EndpointConfigName']} "
            f"({'serverless' if spec.serverless else spec.instance_type}; "
            f"variants {', '.join(f'{v.name}={v.weight:g}' for v in spec.variants)}"
            + (
                f"; capturing {spec.data_capture.sampling_percent}% to {spec.data_capture.destination})"
                if spec.data_capture
                else ")"
            )
        )
        with aws_errors(f"creating endpoint {spec.name}"):
            sagemaker.create_endpoint(
                EndpointName=spec.name, EndpointConfigName=endpoint_settings["EndpointConfigName"], Tags=tags
            )
        created.append(("endpoint", spec.name))
        say(f"creating endpoint {spec.name} (billing starts once it is InService; `make destroy` stops it)")
        if wait:
            wait_in_service(sagemaker, spec.name, timeout_s)
        if spec.autoscaling:
            for variant in spec.variants:
                _autoscale(aws, spec.name, variant.name, spec.autoscaling)
                created.append(("autoscaling", f"endpoint/{spec.name}/variant/{variant.name}"))
                rule = spec.autoscaling
                say(
                    f"autoscaling {variant.name}: {rule.min_instances}-{rule.max_instances} instances at "
                    f"{rule.invocations_per_instance:g} invocations/instance/minute"
                )
    except AwsError as failure:
        undone = _undo(aws, created)
        raise AwsError(f"{failure}; {undone}") from None
    return spec.name


def wait_in_service(sagemaker: Any, name: str, timeout_s: float = 1800, poll_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    with tqdm(desc=f"endpoint {name}", bar_format="{desc}: {postfix} [{elapsed}]") as bar:
        while True:
            with aws_errors(f"waiting for endpoint {name}"):
                status = sagemaker.describe_endpoint(EndpointName=name)
            bar.set_postfix_str(status["EndpointStatus"])
            if status["EndpointStatus"] == "InService":
                return
            if status["EndpointStatus"] == "Failed":
                raise AwsError(f"endpoint {name} failed: {status.get('FailureReason', 'no reason given')}")
            if time.monotonic() > deadline:
                raise AwsError(f"endpoint {name} is not InService after {timeout_s:.0f} s")
            time.sleep(poll_s)


def _autoscale(aws: boto3.Session, endpoint: str, variant: str, rule: Autoscaling) -> None:
    scaling = aws.client("application-autoscaling")
    resource = f"endpoint/{endpoint}/variant/{variant}"
    with aws_errors(f"setting up autoscaling for {resource}"):
        scaling.register_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=resource,
            ScalableDimension=SCALABLE_DIMENSION,
            MinCapacity=rule.min_instances,
            MaxCapacity=rule.max_instances,
        )
        scaling.put_scaling_policy(
            PolicyName=f"{endpoint}-{variant}-invocations",
            ServiceNamespace="sagemaker",
            ResourceId=resource,
            ScalableDimension=SCALABLE_DIMENSION,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": rule.invocations_per_instance,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
                "ScaleInCooldown": rule.scale_in_cooldown_s,
                "ScaleOutCooldown": rule.scale_out_cooldown_s,
            },
        )


def _undo(aws: boto3.Session, created: list[tuple[str, str]]) -> str:
    """Delete what this deploy created, newest first; say what was removed and what could not be."""
    if not created:
        return "nothing was created"
    sagemaker, scaling = aws.client("sagemaker"), aws.client("application-autoscaling")
    removed, left = [], []
    for kind, name in reversed(created):
        try:
            if kind == "autoscaling":
                scaling.deregister_scalable_target(
                    ServiceNamespace="sagemaker", ResourceId=name, ScalableDimension=SCALABLE_DIMENSION
                )
            elif kind == "endpoint":
                sagemaker.delete_endpoint(EndpointName=name)
            elif kind == "endpoint config":
                sagemaker.delete_endpoint_config(EndpointConfigName=name)
            else:
                sagemaker.delete_model(ModelName=name)
            removed.append(f"{kind} {name}")
        except ClientError:
            left.append(f"{kind} {name}")
    text = f"removed what this deploy had created ({', '.join(removed)})" if removed else ""
    if left:
        text += f"{'; ' if text else ''}COULD NOT REMOVE {', '.join(left)}: delete them in the console"
    return text


def destroy(name: str, aws: boto3.Session, say: Say = print) -> list[str]:
    """Delete the endpoint, its config, its models and their autoscaling; return what was deleted."""
    sagemaker, scaling = aws.client("sagemaker"), aws.client("application-autoscaling")
    deleted: list[str] = []
    with aws_errors(f"looking for endpoint {name}"):
        endpoint = find(partial(sagemaker.describe_endpoint, EndpointName=name))
    if endpoint is None:
        say(f"no endpoint {name}: nothing to delete there")
        return deleted
    config_name = endpoint["EndpointConfigName"]
    with aws_errors(f"reading endpoint config {config_name}"):
        config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    for variant in config["ProductionVariants"]:
        resource = f"endpoint/{name}/variant/{variant['VariantName']}"
        with aws_errors(f"looking for autoscaling of {resource}"):
            targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource])
        if targets["ScalableTargets"]:
            with aws_errors(f"removing autoscaling of {resource}"):
                scaling.deregister_scalable_target(
                    ServiceNamespace="sagemaker", ResourceId=resource, ScalableDimension=SCALABLE_DIMENSION
                )
            deleted.append(f"autoscaling {resource}")
    with aws_errors(f"deleting endpoint {name}"):
        sagemaker.delete_endpoint(EndpointName=name)
    deleted.append(f"endpoint {name}")
    with aws_errors(f"deleting endpoint config {config_name}"):
        sagemaker.delete_endpoint_config(EndpointConfigName=config_name)
    deleted.append(f"endpoint config {config_name}")
    for variant in config["ProductionVariants"]:
        with aws_errors(f"deleting model {variant['ModelName']}"):
            sagemaker.delete_model(ModelName=variant["ModelName"])
        deleted.append(f"model {variant['ModelName']}")
    for line in deleted:
        say(f"deleted {line}")
    return deleted
