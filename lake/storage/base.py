"""The storage-profile protocol: one object yields every client's view of the lake."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import pyarrow.fs as pafs

from lake.storage.errors import StorageError, StorageUnreachableError, UnknownProfileError

__all__ = ["StorageError", "StorageProfile", "StorageUnreachableError", "UnknownProfileError"]


@runtime_checkable
class StorageProfile(Protocol):
    """Where the lake lives and how Spark, delta-rs, pyarrow and boto3 reach it."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def lake_uri(self) -> str: ...

    def spark_conf(self) -> dict[str, str]:
        """``spark.hadoop.*`` options for this storage (empty for a local lake)."""
        ...

    def storage_options(self) -> dict[str, str]:
        """delta-rs ``storage_options``."""
        ...

    def boto3_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``boto3.client(service, **kwargs)`` (AWS services endpoint)."""
        ...

    def filesystem(self) -> pafs.FileSystem:
        """A pyarrow filesystem for the lake."""
        ...

    def fs_path(self, uri: str) -> str:
        """The path of ``uri`` as the pyarrow filesystem expects it."""
        ...

    def resolve(self, path: str) -> str:
        """A native URI for ``path``: absolute URIs pass through, relative ones join the lake."""
        ...

    def to_spark_uri(self, uri: str) -> str: ...

    def to_native_uri(self, uri: str) -> str: ...

    def ensure_lake(self) -> None:
        """Create the lake root (directory or bucket) if it does not exist."""
        ...

    def check(self) -> None:
        """Raise :class:`StorageUnreachableError` if the lake cannot be reached."""
        ...

    def diagnose(self, uri: str) -> StorageError | None:
        """What stops any use of the location ``uri`` (a missing bucket, access denied, an
        unreachable endpoint, a path component that is a file), found by one cheap probe; ``None``
        when nothing does."""
        ...

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description with credentials masked."""
        ...

    def task_spec(self) -> dict[str, Any]:
        """A picklable spec from which Spark tasks rebuild :meth:`filesystem`."""
        ...
