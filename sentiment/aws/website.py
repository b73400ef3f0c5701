"""Publish the website to the stack's bucket: config.js from the stack outputs, correct content types
and caching, then a CloudFront invalidation. Also empties the bucket before the stack is deleted."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import boto3

from sentiment.aws.session import AwsError, aws_errors, find
from sentiment.web.site import NO_CACHE, content_type, site_files

Say = Callable[[str], None]
REQUIRED_OUTPUTS = ("ApiUrl", "WebsiteUrl", "WebsiteBucketName", "DistributionId")


@dataclass(frozen=True)
class StackOutputs:
    api_url: str
    website_url: str
    bucket: str
    distribution_id: str


def _stack(stack_name: str, aws: boto3.Session) -> dict[str, Any] | None:
    """The stack's description, or None when there is no such stack."""
    cloudformation = aws.client("cloudformation")
    with aws_errors(f"reading stack {stack_name}"):
        found = find(partial(cloudformation.describe_stacks, StackName=stack_name))
    return found["Stacks"][0] if found else None


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def stack_outputs(stack_name: str, aws: boto3.Session) -> StackOutputs:
    stack = _stack(stack_name, aws)
    if stack is None:
        raise AwsError(f"no stack {stack_name} in {aws.region_name}: run `make deploy` (sam deploy) first")
    outputs = _outputs(stack)
    missing = [key for key in REQUIRED_OUTPUTS if key not in outputs]
    if missing:
        raise AwsError(
            f"stack {stack_name} has no output {', '.join(missing)} (status {stack['StackStatus']}): "
            "was it deployed from this template, and did the deploy finish?"
        )
    return StackOutputs(
        outputs["ApiUrl"], outputs["WebsiteUrl"], outputs["WebsiteBucketName"], outputs["DistributionId"]
    )


def publish(static_dir: Path, outputs: StackOutputs, aws: boto3.Session, say: Say = print) -> list[str]:
    """Upload static/ (with a config.js pointing at the API) and invalidate CloudFront; return the keys."""
    files = site_files(static_dir, outputs.api_url)
    if "index.html" not in files:
        raise AwsError(f"{static_dir} has no index.html")
    s3 = aws.client("s3")
    for key, body in files.items():
        cache = "no-cache" if key in NO_CACHE else "public, max-age=300"
        with aws_errors(f"uploading {key} to s3://{outputs.bucket}"):
            s3.put_object(Bucket=outputs.bucket, Key=key, Body=body, ContentType=content_type(key), CacheControl=cache)
    say(f"uploaded {len(files)} files to s3://{outputs.bucket} (config.js -> {outputs.api_url})")
    with aws_errors(f"invalidating CloudFront distribution {outputs.distribution_id}"):
        aws.client("cloudfront").create_invalidation(
            DistributionId=outputs.distribution_id,
            InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"publish-{uuid.uuid4()}"},
        )
    say(f"website: {outputs.website_url}")
    return list(files)


def empty_bucket(bucket: str, aws: boto3.Session) -> int:
    """Delete every object (and version) so CloudFormation can delete the bucket; return how many."""
    s3 = aws.client("s3")
    count = 0
    with aws_errors(f"emptying s3://{bucket}"):
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            doomed = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
                count += len(doomed)
    return count


def delete_stack(stack_name: str, aws: boto3.Session, say: Say = print) -> list[str]:
    stack = _stack(stack_name, aws)
    if stack is None:
        say(f"no stack {stack_name}: nothing to delete there")
        return []
    deleted = []
    outputs = _outputs(stack)
    if "WebsiteBucketName" in outputs:
        count = empty_bucket(outputs["WebsiteBucketName"], aws)
        deleted.append(f"{count} website objects in s3://{outputs['WebsiteBucketName']}")
    with aws_errors(f"deleting stack {stack_name}"):
        aws.client("cloudformation").delete_stack(StackName=stack_name)
    deleted.append(f"stack {stack_name} (API, function, layer, bucket, CloudFront; deletion continues in AWS)")
    for line in deleted:
        say(f"deleted {line}")
    return deleted
