"""Which AWS (Kinesis) errors are transient, shared by the producer and the Spark source."""

from __future__ import annotations

__all__ = ["TRANSIENT_CODES", "error_parts", "is_transient"]

# Throttling, limits and server-side failures: retrying the same call may succeed.
TRANSIENT_CODES = frozenset({
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "ThrottlingException",
    "Throttling",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "KMSThrottlingException",
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
})


def error_parts(exc: Exception) -> tuple[str, int, str]:
    """``(code, HTTP status, message)`` of a botocore error (code = class name if absent)."""
    response = getattr(exc, "response", None) or {}
    error = response.get("Error", {})
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return str(error.get("Code") or type(exc).__name__), status, str(error.get("Message") or exc)


def is_transient(exc: Exception) -> bool:
    """True for throttling, server-side (5xx/429) and connection failures."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, ClientError):
        code, status, _ = error_parts(exc)
        return code in TRANSIENT_CODES or status >= 500 or status == 429
    return isinstance(exc, ConnectionError | HTTPClientError)
