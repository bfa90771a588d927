"""Spark and Py4J errors met while reading or writing the lake, as lakeforge storage errors.

Decisions use the Java exception classes of the cause chain (S3A's ``UnknownStoreException``
for a missing bucket, ``java.nio.file.AccessDeniedException``, ``java.net.ConnectException`` …),
never the message text; when no class says, the location is probed once
(:meth:`~lake.storage.StorageProfile.diagnose`). An error neither explains is left as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lake.storage import uris
from lake.storage.errors import (
    AccessDeniedError,
    BucketNotFoundError,
    PathIsFileError,
    StorageError,
    StorageUnreachableError,
)

if TYPE_CHECKING:
    from lake.storage import StorageProfile

__all__ = ["is_spark_error", "java_classes", "translate_spark_error"]

_BUCKET_MISSING = frozenset({"org.apache.hadoop.fs.s3a.UnknownStoreException"})
_DENIED = frozenset({"java.nio.file.AccessDeniedException", "org.apache.hadoop.security.AccessControlException"})
_NOT_A_DIRECTORY = frozenset({"org.apache.hadoop.fs.ParentNotDirectoryException"})
_UNREACHABLE = frozenset({
    "java.net.ConnectException",
    "java.net.NoRouteToHostException",
    "java.net.UnknownHostException",
    "java.net.SocketTimeoutException",
    "org.apache.http.conn.ConnectTimeoutException",
    "org.apache.http.conn.HttpHostConnectException",
    "org.apache.hadoop.net.ConnectTimeoutException",
})
_MAX_DEPTH = 20


def is_spark_error(exc: BaseException) -> bool:
    """True for exceptions raised by pyspark or Py4J (judged by the exception's module)."""
    return type(exc).__module__.startswith(("pyspark", "py4j"))


def _throwable(exc: BaseException) -> Any:
    # Py4JJavaError exposes the Java throwable as ``java_exception``; pyspark's captured
    # exceptions (AnalysisException, PythonException, …) keep it as ``_origin``.
    return getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)


def java_classes(exc: BaseException) -> list[str]:
    """The Java class names of ``exc``'s throwable and its causes, outermost first."""
    names: list[str] = []
    current = _throwable(exc)
    while current is not None and len(names) < _MAX_DEPTH:
        try:
            names.append(str(current.getClass().getName()))
            current = current.getCause()
        except Exception:  # the JVM is gone, or the object is not a throwable
            break
    return names


def translate_spark_error(exc: BaseException, profile: StorageProfile, uri: str) -> StorageError | None:
    """The storage error a Spark failure while using ``uri`` means, or ``None``."""
    if not is_spark_error(exc):
        return None
    endpoint = str(profile.describe().get("endpoint_url") or "aws")
    for name in java_classes(exc):
        if name in _BUCKET_MISSING:
            return BucketNotFoundError(uris.split_s3(uri)[0] if uris.is_s3(uri) else uri, endpoint)
        if name in _DENIED:
            return AccessDeniedError(uri, name.rsplit(".", 1)[-1])
        if name in _NOT_A_DIRECTORY:
            return profile.diagnose(uri) or PathIsFileError(uri)
        if name in _UNREACHABLE:
            return StorageUnreachableError(endpoint, name.rsplit(".", 1)[-1])
    return profile.diagnose(uri)
