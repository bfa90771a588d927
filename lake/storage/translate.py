"""Foreign storage errors (pyarrow, delta-rs' object store, botocore) as lakeforge storage errors.

Decisions use exception types, ``errno`` and botocore's error code and HTTP status — never the
message text. pyarrow's S3 filesystem and delta-rs' object store raise plain ``OSError`` with
no structured field (delta-rs wraps S3 replies as ``OSError("Generic S3 error: … NoSuchBucket
…")``); for those the location is probed again with a client that does answer in structure
(``HeadBucket`` through boto3, ``stat`` on the local path) by the profile's ``diagnose``. An
error the probe cannot explain is left as it is.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from lake.errors import reraise_translated
from lake.storage import uris
from lake.storage.errors import (
    AccessDeniedError,
    BucketNotFoundError,
    PathIsFileError,
    StorageError,
    StorageUnreachableError,
)

if TYPE_CHECKING:
    from lake.storage.base import StorageProfile

__all__ = ["check_location", "from_botocore", "storage_errors", "translate_storage_error"]

_ACCESS_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "Forbidden", "403", "AllAccessDisabled", "AccountProblem",
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "UnrecognizedClientException",
})
_DENIED_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def from_botocore(exc: BaseException, *, bucket: str, endpoint: str, path: str) -> StorageError | None:
    """The storage error a botocore exception means for ``path`` (in ``bucket``), or ``None``.

    ``NoSuchBucket`` (or 404 from ``HeadBucket``, which has no body) → bucket not found; 403 and
    credential codes → access denied; 5xx, connection and timeout errors → unreachable (transient).
    """
    from botocore.exceptions import (
        ClientError,
        ConnectionError,
        HTTPClientError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code == "NoSuchBucket" or (status == 404 and exc.operation_name == "HeadBucket"):
            return BucketNotFoundError(bucket, endpoint)
        if code in _ACCESS_CODES or status == 403:
            return AccessDeniedError(path, f"{code or 'HTTP 403'} on {exc.operation_name}")
        if status >= 500 or status == 429:
            return StorageUnreachableError(endpoint, f"{code or 'HTTP ' + str(status)} on {exc.operation_name}")
        return None
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return AccessDeniedError(path, f"no usable credentials ({type(exc).__name__}): set them in the profile")
    if isinstance(exc, ConnectionError | HTTPClientError):
        return StorageUnreachableError(endpoint, type(exc).__name__)
    return None


def translate_storage_error(exc: BaseException, profile: StorageProfile, uri: str) -> StorageError | None:
    """The lakeforge error a foreign storage exception raised while using ``uri`` means, or ``None``.

    ``uri`` is the location the operation needed (a table root, the lake, a folder): a
    not-a-directory error is reported at the path component that is a file.
    """
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, OSError):
        if isinstance(exc, NotADirectoryError) or exc.errno == errno.ENOTDIR:
            return profile.diagnose(uri) or PathIsFileError(str(exc.filename or uri))
        if isinstance(exc, PermissionError) or exc.errno in _DENIED_ERRNOS:
            reason = errno.errorcode[exc.errno] if exc.errno in _DENIED_ERRNOS else "permission denied"
            return AccessDeniedError(str(exc.filename or uri), reason)
        return profile.diagnose(uri)
    if type(exc).__module__.startswith("botocore"):
        bucket = uris.split_s3(uri)[0] if uris.is_s3(uri) else ""
        endpoint = str(profile.describe().get("endpoint_url") or "aws")
        return from_botocore(exc, bucket=bucket, endpoint=endpoint, path=uri)
    return None


@contextmanager
def storage_errors(profile: StorageProfile, uri: str) -> Iterator[None]:
    """Re-raise foreign storage exceptions inside the block as lakeforge errors where they can be named."""
    with reraise_translated(lambda exc: translate_storage_error(exc, profile, uri)):
        yield


def check_location(profile: StorageProfile, uri: str | None = None) -> None:
    """Raise the storage error that would stop any use of ``uri`` (default: the lake root).

    One cheap probe (``HeadBucket``, or a ``stat`` of the local path and its parents), so bad
    input is reported before a large source is read or Spark starts.
    """
    problem = profile.diagnose(uri if uri is not None else profile.lake_uri)
    if problem is not None:
        raise problem
