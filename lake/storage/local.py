"""The ``local`` profile: the lake is a directory on this machine."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs

from lake.storage import uris
from lake.storage.errors import AccessDeniedError, PathIsFileError, StorageError, StorageUnreachableError

__all__ = ["LocalProfile"]


class LocalProfile:
    """A persistent lake in a local directory (default ``./lakehouse``).

    AWS services (Kinesis, Glue) still go to the moto server from ``lake up`` when one runs.
    """

    kind = "local"

    def __init__(self, root: Path, *, name: str = "local", services_endpoint: str | None = None):
        self.name = name
        self.root = root.resolve()
        self.lake_uri = str(self.root)
        self.services_endpoint = services_endpoint

    def spark_conf(self) -> dict[str, str]:
        return {}

    def storage_options(self) -> dict[str, str]:
        return {}

    def boto3_kwargs(self) -> dict[str, Any]:
        if not self.services_endpoint:
            raise StorageError(
                "the local profile has no AWS services endpoint: run `lake up` first"
            )
        return {
            "endpoint_url": self.services_endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }

    def filesystem(self) -> pafs.FileSystem:
        return pafs.LocalFileSystem()

    def fs_path(self, uri: str) -> str:
        return uris.to_native(uri)

    def resolve(self, path: str) -> str:
        native = uris.to_native(path)
        if uris.is_s3(native):
            raise StorageError(f"{path}: an s3:// URI cannot be used with the local profile")
        if os.path.isabs(native):
            return os.path.normpath(native)
        return os.path.normpath(os.path.join(self.lake_uri, native))

    def to_spark_uri(self, uri: str) -> str:
        return uris.to_spark(self.resolve(uri))

    def to_native_uri(self, uri: str) -> str:
        return self.resolve(uri)

    def ensure_lake(self) -> None:
        problem = self.diagnose(self.lake_uri)
        if problem is not None:
            raise problem
        self.root.mkdir(parents=True, exist_ok=True)

    def check(self) -> None:
        parent = self.root if self.root.exists() else self.root.parent
        if not os.access(parent, os.W_OK):
            raise StorageUnreachableError(str(self.root), "directory is not writable")

    def diagnose(self, uri: str) -> StorageError | None:
        path = Path(self.resolve(uri))
        for candidate in (path, *path.parents):
            try:
                st = candidate.stat()
            except FileNotFoundError:
                continue
            except NotADirectoryError:  # a parent further up is a file: keep climbing to it
                continue
            except PermissionError:
                return AccessDeniedError(str(candidate), "permission denied")
            if not stat.S_ISDIR(st.st_mode):
                return PathIsFileError(str(candidate))
            if not os.access(candidate, os.R_OK | os.X_OK):
                return AccessDeniedError(str(candidate), "directory is not readable")
            return None
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "lake": self.lake_uri,
            "services_endpoint": self.services_endpoint,
        }

    def task_spec(self) -> dict[str, Any]:
        return {"kind": "local"}

    def __repr__(self) -> str:
        return f"LocalProfile(name={self.name!r}, lake={self.lake_uri!r})"
