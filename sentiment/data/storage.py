"""Write and read whole files at a local path or an `s3://bucket/key` URI, atomically.

Local writes are atomic (`files.write_atomic`); an S3 PUT is atomic by itself.
"""

from __future__ import annotations

from pathlib import Path

from sentiment.core.errors import ConfigError
from sentiment.core.files import write_atomic

S3_SCHEME = "s3://"


def is_s3(location: str | Path) -> bool:
    return str(location).startswith(S3_SCHEME)


def join(base: str | Path, name: str) -> str:
    """`base/name` for a folder path or an S3 prefix."""
    return f"{str(base).rstrip('/')}/{name}"


def split_s3(uri: str) -> tuple[str, str]:
    """`s3://bucket/key` -> (bucket, key)."""
    bucket, _, key = uri[len(S3_SCHEME) :].partition("/")
    if not bucket or not key:
        raise ConfigError(f"not an S3 object URI (s3://bucket/key): {uri}")
    return bucket, key


def _s3_client():  # type: ignore[no-untyped-def]
    import boto3

    return boto3.client("s3")


def write_bytes(location: str | Path, data: bytes) -> None:
    if is_s3(location):
        bucket, key = split_s3(str(location))
        _s3_client().put_object(Bucket=bucket, Key=key, Body=data)
        return
    write_atomic(Path(location), data)


def write_text(location: str | Path, text: str) -> None:
    write_bytes(location, text.encode("utf-8"))


def read_bytes(location: str | Path) -> bytes | None:
    """The file's bytes, or None if it does not exist."""
    if is_s3(location):
        bucket, key = split_s3(str(location))
        client = _s3_client()
        try:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[no-any-return]
        except client.exceptions.NoSuchKey:
            return None
    try:
        return Path(location).read_bytes()
    except FileNotFoundError:
        return None


def exists(location: str | Path) -> bool:
    if is_s3(location):
        from botocore.exceptions import ClientError

        bucket, key = split_s3(str(location))
        try:
            _s3_client().head_object(Bucket=bucket, Key=key)
        except ClientError:
            return False
        return True
    return Path(location).is_file()


def list_s3(prefix: str, suffix: str = "") -> list[str]:
    """The s3:// URIs of every object under an s3://bucket/prefix whose key ends with `suffix`."""
    bucket, _, key = prefix[len(S3_SCHEME) :].partition("/")
    if not bucket:
        raise ConfigError(f"not an S3 location (s3://bucket/prefix): {prefix}")
    found = []
    for page in _s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
        found += [f"{S3_SCHEME}{bucket}/{o['Key']}" for o in page.get("Contents", []) if o["Key"].endswith(suffix)]
    return found
