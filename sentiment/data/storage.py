"""Write and read whole files at a local path or an `s3://bucket/key` URI, atomically.

Local writes are atomic (`files.write_atomic`); an S3 PUT is atomic by itself.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sentiment.core.errors import ConfigError, DataError
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


def read_bounded(location: str | Path, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file (or an S3 object) of at most `limit` bytes, read with the bound in force
    even if it grows meanwhile; DataError for a device, pipe, socket or folder (/dev/zero never ends), for
    what is missing and for what is too large."""
    if is_s3(location):
        bucket, key = split_s3(str(location))
        client = _s3_client()
        try:
            body = client.get_object(Bucket=bucket, Key=key)["Body"]
        except client.exceptions.NoSuchKey:
            raise DataError(f"{what} not found: {location}") from None
        raw = body.read(limit + 1)
    else:
        path = Path(location)
        try:
            with path.open("rb") as source:
                info = os.fstat(source.fileno())
                if not stat.S_ISREG(info.st_mode):
                    raise DataError(f"{what} {path} is not a regular file (a device, pipe or socket)")
                if info.st_size > limit:
                    raise DataError(f"{what} {path} is {info.st_size:,} bytes; the limit is {limit:,}")
                raw = source.read(limit + 1)
        except FileNotFoundError:
            raise DataError(f"{what} not found: {path}") from None
        except IsADirectoryError:
            raise DataError(f"{what} is a folder, not a file: {path}") from None
        except PermissionError:
            raise DataError(f"{what} {path} cannot be read (permission denied)") from None
    if len(raw) > limit:
        raise DataError(f"{what} {location} is more than {limit:,} bytes")
    return raw  # type: ignore[no-any-return]


def remove(location: str | Path) -> None:
    """Delete a file or an S3 object, if it is there."""
    if is_s3(location):
        bucket, key = split_s3(str(location))
        _s3_client().delete_object(Bucket=bucket, Key=key)
    else:
        Path(location).unlink(missing_ok=True)


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
