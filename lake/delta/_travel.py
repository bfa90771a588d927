"""Time travel to a version whose files VACUUM deleted: say so before Spark fails on them.

Only files of the requested version that the latest version no longer has can have been
vacuumed, so only those are checked (one HEAD each, or one listing when there are many).
When some are gone, the log tells which VACUUM deleted them and from which version on every
version is readable again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.fs as pafs
from deltalake import DeltaTable

from lake.delta._log import LogIndex, read_log
from lake.delta.errors import DataFilesMissingError, VersionVacuumedError
from lake.storage import StorageProfile

__all__ = ["check_version_files"]

_HEAD_LIMIT = 64
_SHOWN = 3


def _paths(dt: DeltaTable) -> set[str]:
    return {unquote(p) for p in pa.table(dt.get_add_actions(flatten=False)).column("path").to_pylist()}


def check_version_files(profile: StorageProfile, uri: str, dt: DeltaTable, latest: DeltaTable | None = None) -> None:
    """Raise :class:`VersionVacuumedError` (or :class:`DataFilesMissingError`) if files of ``dt``'s
    version are gone; a no-op for the latest version (``latest``: that snapshot, if already open)."""
    if latest is None:
        latest = DeltaTable(uri, storage_options=profile.storage_options() or None)
    if latest.version() == dt.version():
        return
    candidates = _paths(dt) - _paths(latest)
    if not candidates:
        return
    fs, root = profile.filesystem(), profile.fs_path(uri).rstrip("/")
    missing = sorted(_missing(fs, root, candidates))
    if not missing:
        return
    index = read_log(fs, root, uri)
    version = dt.version()
    vacuum = _vacuum_that_deleted(index, missing)
    if vacuum is None:
        raise DataFilesMissingError(uri, version, missing[:_SHOWN], len(missing))
    at, retention = vacuum
    raise VersionVacuumedError(uri, version, at, _oldest_readable(fs, root, index, latest), retention)


def _missing(fs: pafs.FileSystem, root: str, paths: set[str]) -> set[str]:
    if len(paths) <= _HEAD_LIMIT:
        ordered = sorted(paths)
        infos = fs.get_file_info([f"{root}/{p}" for p in ordered])
        return {p for p, i in zip(ordered, infos, strict=True) if i.type == pafs.FileType.NotFound}
    present = {i.path[len(root) + 1:] for i in fs.get_file_info(pafs.FileSelector(root, recursive=True))}
    return paths - present


def _vacuum_that_deleted(index: LogIndex, missing: list[str]) -> tuple[str, float | None] | None:
    """When and with which retention the VACUUM ran that could have deleted the missing files."""
    starts = index.vacuum_starts()
    for path in missing:
        entry = index.files.get(path)
        if entry is None or entry.removed_version is None:
            continue
        for version, info in starts:
            millis = info.get("operationParameters", {}).get("specifiedRetentionMillis")
            retention = int(millis) if millis not in (None, "") else None
            cutoff = int(info.get("timestamp", 0)) - (retention or 0)
            if version > entry.removed_version and (entry.deletion_timestamp or 0) < cutoff:
                at = datetime.fromtimestamp(int(info["timestamp"]) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
                return at, None if retention is None else retention / 3_600_000
    return None


def _oldest_readable(fs: pafs.FileSystem, root: str, index: LogIndex, latest: DeltaTable) -> int:
    """The first version from which no version references a deleted file (removed ones gone)."""
    removed = {p: e.removed_version for p, e in index.files.items() if e.removed_version is not None}
    current = _paths(latest)
    gone = _missing(fs, root, set(removed) - current)
    return max((removed[p] or 0 for p in gone), default=latest.version())
