"""One boto3 session per command, checked up front: credentials and region give one clear message each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from sentiment.core.errors import SentimentError

T = TypeVar("T")


class AwsError(SentimentError):
    """An AWS step that could not be done, said in one line (the CLI prints it and exits 2)."""


def session(region: str | None = None, profile: str | None = None, verify: bool = True) -> boto3.Session:
    """A session in a known region with working credentials (checked with STS, which costs nothing, unless
    `verify` is off: for work that calls no AWS API, like a local training container from a local image)."""
    try:
        created = boto3.Session(region_name=region, profile_name=profile)
    except BotoCoreError as exc:
        raise AwsError(f"cannot open an AWS session: {exc}") from None
    name = created.region_name
    if not name:
        raise AwsError("no AWS region: pass --region or set AWS_REGION (for example us-east-1)")
    known = set(created.get_available_regions("sagemaker")) | set(created.get_available_regions("sagemaker", "aws-cn"))
    if name not in known:
        raise AwsError(f"{name!r} is not an AWS region with SageMaker (for example: us-east-1, eu-west-1)")
    if verify:
        with aws_errors("checking your AWS credentials"):
            created.client("sts").get_caller_identity()
    return created


@contextmanager
def aws_errors(doing: str) -> Iterator[None]:
    """Turn botocore's exceptions into one AwsError line that says what we were doing."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise AwsError(
            f"{doing}: no AWS credentials found; run `aws configure` (or `aws sso login`) or set AWS_PROFILE"
        ) from None
    except NoRegionError:
        raise AwsError(f"{doing}: no AWS region; pass --region or set AWS_REGION") from None
    except EndpointConnectionError as exc:
        raise AwsError(
            f"{doing}: cannot reach AWS ({exc.kwargs.get('endpoint_url', 'endpoint')}); "
            "check the region and your connection"
        ) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise AwsError(f"{doing}: {error.get('Code', 'error')}: {error.get('Message', exc)}") from None
    except BotoCoreError as exc:
        raise AwsError(f"{doing}: {exc}") from None


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


MISSING = (
    "ValidationException",
    "ValidationError",
    "404",
    "NoSuchKey",
    "NoSuchBucket",
    "RepositoryNotFoundException",
    "ImageNotFoundException",
)


def is_missing(exc: ClientError) -> bool:
    """Whether AWS said the resource does not exist (SageMaker says ValidationException)."""
    text = str(exc).lower()
    return error_code(exc) in MISSING or "not found" in text or "could not find" in text or "does not exist" in text


def find(call: Callable[[], T]) -> T | None:
    """What a describe/head call returns, or None when the resource does not exist; other failures propagate."""
    try:
        return call()
    except ClientError as exc:
        if is_missing(exc):
            return None
        raise


def exists(call: Callable[[], T]) -> bool:
    return find(call) is not None
