"""``--reset-checkpoint``: move a query checkpoint aside (never delete it) before a fresh start.

The old checkpoint goes to ``<checkpoint>.reset-<UTC time>`` next to it. On a local lake that
is one directory rename. On S3 every object is copied first and the originals are deleted
only once all copies exist, so a crash mid-way leaves the old checkpoint intact (plus a
partial copy). A fresh checkpoint gets a new Spark query id, hence a new bronze transaction
app id (``lakeforge-ingest:<job>:<query id>``): its batch ids restart at 0 without colliding
with the batches the old checkpoint committed.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pyarrow.fs as pafs

from lake.storage import StorageProfile
from lake.stream.ingest.errors import CheckpointResetError

__all__ = ["move_checkpoint_aside"]


def _exists(fs: pafs.FileSystem, path: str) -> bool:
    return bool(fs.get_file_info(path).type != pafs.FileType.NotFound)


def move_checkpoint_aside(
    profile: StorageProfile, checkpoint: str, *, now: datetime | None = None
) -> str | None:
    """Move ``checkpoint`` (relative to the lake) aside; its new URI, or ``None`` if absent."""
    fs = profile.filesystem()
    source_uri = profile.resolve(checkpoint)
    source = profile.fs_path(source_uri)
    files = _files(fs, source)
    if not files and not _exists(fs, source):
        return None
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target_uri = f"{source_uri.rstrip('/')}.reset-{stamp}"
    suffix = 1
    while _exists(fs, profile.fs_path(target_uri)):
        suffix += 1
        target_uri = f"{source_uri.rstrip('/')}.reset-{stamp}-{suffix}"
    target = profile.fs_path(target_uri)
    try:
        if isinstance(fs, pafs.LocalFileSystem):
            os.rename(source, target)
            return target_uri
        for path in files:
            fs.copy_file(path, target + path[len(source):])
    except OSError as exc:
        raise CheckpointResetError(
            source_uri, target_uri, f"{exc} (the checkpoint itself is unchanged)"
        ) from None
    try:
        fs.delete_dir(source)
    except OSError as exc:
        raise CheckpointResetError(
            source_uri, target_uri,
            f"{exc} while deleting the original after copying it (the copy is complete; "
            "delete what is left of the original, then rerun without --reset-checkpoint)",
        ) from None
    return target_uri


def _files(fs: pafs.FileSystem, base: str) -> list[str]:
    try:
        infos = fs.get_file_info(pafs.FileSelector(base, recursive=True))
    except FileNotFoundError:
        return []
    return [info.path for info in infos if info.type == pafs.FileType.File]
