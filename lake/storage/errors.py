"""Errors of the storage layer: profiles, and the lake's object store or directory."""

from __future__ import annotations

from lake.errors import LakeforgeError, Transient

__all__ = [
    "AccessDeniedError",
    "BucketNotFoundError",
    "PathIsFileError",
    "StorageError",
    "StorageUnreachableError",
    "UnknownProfileError",
]


class StorageError(LakeforgeError):
    """A storage profile cannot be built or used."""


class UnknownProfileError(StorageError):
    """The requested profile name is neither built in nor configured."""

    template = "unknown profile {name!r}; valid profiles: {known_list}"
    name: str
    known: list[str]

    @property
    def known_list(self) -> str:
        return ", ".join(self.known)


class BucketNotFoundError(StorageError):
    """The lake's S3 bucket does not exist at the endpoint."""

    template = "bucket {bucket!r} does not exist at {endpoint} (create it, or check --lake and the profile)"
    bucket: str
    endpoint: str


class AccessDeniedError(StorageError):
    """The credentials of the profile may not do this operation."""

    template = "access denied to {path}: {reason}"
    path: str
    reason: str


class PathIsFileError(StorageError):
    """A location that must be a directory (a lake, a table root) is a file."""

    template = "{path} is a file, not a directory"
    path: str


class StorageUnreachableError(Transient, StorageError):
    """The lake's endpoint did not answer."""

    template = "storage endpoint {endpoint} unreachable: {reason}"
    endpoint: str
    reason: str
