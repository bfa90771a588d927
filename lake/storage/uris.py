"""URI helpers: one place converts between the schemes each engine wants.

delta-rs, pyarrow and boto3 use ``s3://bucket/key``; Spark (S3A) uses ``s3a://bucket/key``;
local lakes use absolute paths natively and ``file://`` URIs in Spark.
"""

from __future__ import annotations

from urllib.parse import urlparse

__all__ = ["is_s3", "join", "split_s3", "to_native", "to_spark"]

_S3_SCHEMES = ("s3://", "s3a://", "s3n://")


def is_s3(uri: str) -> bool:
    return uri.startswith(_S3_SCHEMES)


def to_native(uri: str) -> str:
    """``s3a://b/k`` → ``s3://b/k``; ``file:///p`` → ``/p``; other strings unchanged."""
    if uri.startswith(("s3a://", "s3n://")):
        return "s3://" + uri.split("://", 1)[1]
    if uri.startswith("file://"):
        return urlparse(uri).path
    return uri


def to_spark(uri: str) -> str:
    """``s3://b/k`` → ``s3a://b/k``; ``/p`` → ``file:///p``."""
    native = to_native(uri)
    if native.startswith("s3://"):
        return "s3a://" + native[len("s3://") :]
    if native.startswith("/"):
        return "file://" + native
    return native


def split_s3(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` → ``("bucket", "a/b")``."""
    rest = to_native(uri)[len("s3://") :]
    bucket, _, key = rest.partition("/")
    return bucket, key.strip("/")


def join(base: str, *parts: str) -> str:
    """Join path segments onto a URI or path with single slashes."""
    out = base.rstrip("/")
    for part in parts:
        part = part.strip("/")
        if part:
            out = f"{out}/{part}"
    return out
