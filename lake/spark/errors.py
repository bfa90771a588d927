"""Errors of the Spark session factory and its S3A JARs."""

from __future__ import annotations

from lake.errors import LakeforgeError

__all__ = ["JarError", "SparkError"]


class SparkError(LakeforgeError):
    """Base of the Spark layer's errors."""


class JarError(SparkError):
    """The S3A JARs cannot be fetched or fail verification."""
