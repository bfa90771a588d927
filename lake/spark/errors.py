"""Errors of the Spark session factory, its S3A JARs and its master."""

from __future__ import annotations

from lake.errors import LakeforgeError, Transient

__all__ = ["JarError", "SparkError", "SparkMasterUnreachableError", "SparkStartError"]


class SparkError(LakeforgeError):
    """Base of the Spark layer's errors."""


class JarError(SparkError):
    """The S3A JARs cannot be fetched or fail verification."""


class SparkStartError(SparkError):
    """Spark's JVM exited while starting (bad memory size, bad option, no Java)."""

    template = "Spark did not start: {reason} (Spark's log: {log})"
    reason: str
    log: str


class SparkMasterUnreachableError(Transient, SparkError):
    """Nothing answers at the ``spark://`` master's host and port."""

    template = (
        "Spark master {master} does not answer at {address} ({reason}); start it with "
        "`lake cluster up`, or choose another master with --master or spark.master"
    )
    master: str
    address: str
    reason: str
