"""Table maintenance without Spark: OPTIMIZE, VACUUM, PURGE and the commit history.

VACUUM deletes only files the table owns, and never one the log never referenced unless our
own writer wrote it. Precisely, a file under the table root is deleted when either

* a remove action in the log names it and it was removed more than ``retain_hours`` ago
  (delta-rs' "lite" vacuum over the log's tombstones; recorded as VACUUM START/END commits), or
* it is an orphan of one of our writers killed before committing: its name is our writer's
  data-file name (``part-<task>-<uuid4>.c000.snappy.parquet``), it is not under a ``_``/``.``
  folder, no add or remove action ever named it, it was written more than ``retain_hours``
  ago, and after the table's first commit — unless that commit records the location was empty
  (or held only our writer's files) when the table was created, so no file there predates us.

Nothing else is ever deleted: files that were in the location before the table (see
``allow_non_empty``), files of other tools written later, and ``_``/``.`` folders survive.
A retention below ``min_retention_hours`` (Delta's ``retentionDurationCheck``) would break
time travel to older versions and needs ``force=True``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow.fs as pafs
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError
from deltalake.transaction import CommitProperties

from lake.delta._log import read_log
from lake.delta._ownership import CREATED_IN, EMPTY, WRITER_FILES, find_orphans
from lake.delta.errors import RetentionTooShortError
from lake.delta.translate import delta_errors
from lake.errors import InvalidOptionError
from lake.storage import StorageProfile
from lake.storage.translate import storage_errors

if TYPE_CHECKING:
    from lake.delta.store import DeltaTableStore

__all__ = [
    "DEFAULT_MIN_RETENTION_HOURS",
    "OptimizeResult",
    "PurgeResult",
    "VacuumResult",
    "check_retention",
    "check_table",
    "optimize",
    "purge_table",
    "table_history",
    "vacuum_table",
]

DEFAULT_MIN_RETENTION_HOURS = 168.0
_THREADS = 8


@dataclass(frozen=True)
class OptimizeResult:
    """Files compacted by one OPTIMIZE commit."""

    table: str
    version: int
    files_removed: int
    files_added: int
    partitions_optimized: int


@dataclass(frozen=True)
class VacuumResult:
    """Files VACUUM deleted (or would delete, on a dry run), relative to the table root.

    ``files`` is everything; ``orphans`` the part of it no commit ever referenced.
    """

    table: str
    files: list[str]
    dry_run: bool
    retain_hours: float = DEFAULT_MIN_RETENTION_HOURS
    orphans: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PurgeResult:
    """What PURGE deleted: the data files the log ever referenced, and the log itself."""

    table: str
    files: int
    log_deleted: bool


def optimize(store: DeltaTableStore, table: str, *, target_size_mb: int = 128) -> OptimizeResult:
    """Bin-pack small files into files of about ``target_size_mb`` in one commit (data unchanged)."""
    dt = store.snapshot(table)
    with delta_errors(store.profile, store.uri(table)):
        metrics = dt.optimize.compact(target_size=target_size_mb * 1024 * 1024)
        dt.update_incremental()
    return OptimizeResult(
        store.uri(table), dt.version(),
        files_removed=int(metrics.get("numFilesRemoved", 0)),
        files_added=int(metrics.get("numFilesAdded", 0)),
        partitions_optimized=int(metrics.get("partitionsOptimized", 0)),
    )


def _open(profile: StorageProfile, uri: str, *, without_files: bool = False) -> DeltaTable:
    with delta_errors(profile, uri):
        return DeltaTable(uri, storage_options=profile.storage_options() or None, without_files=without_files)


def check_table(profile: StorageProfile, table: str, *, version: int | None = None) -> int:
    """The version a read of ``table`` (a path or URI; at ``version``) would see, checked without Spark.

    Raises what a read would: no table there (:class:`~lake.delta.errors.TableNotFoundError`, or
    the storage error), no such version, or a version whose files VACUUM deleted.
    """
    from lake.delta._travel import check_version_files
    from lake.delta.translate import time_travel_error

    uri = profile.resolve(table)
    dt = _open(profile, uri, without_files=version is None)
    if version is None:
        return dt.version()
    with delta_errors(profile, uri):
        try:
            dt.load_as_version(version)
        except DeltaError as exc:
            raise time_travel_error(profile, uri, version, None, exc) from None
        check_version_files(profile, uri, dt)
    return version


def table_history(profile: StorageProfile, table: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Commit history of the table at ``table`` (a path or URI), newest first; no Spark involved."""
    uri = profile.resolve(table)
    dt = _open(profile, uri, without_files=True)
    with delta_errors(profile, uri):
        return dt.history(limit)


def check_retention(table: str, retain_hours: float, *, force: bool, min_retention_hours: float,
                    dry_run: bool = False) -> None:
    """Refuse a negative retention, and one below the minimum unless ``force`` (or a dry run)."""
    if math.isnan(retain_hours) or retain_hours < 0:
        raise InvalidOptionError("retain_hours", retain_hours, "a number of hours >= 0")
    if retain_hours < min_retention_hours and not force and not dry_run:
        raise RetentionTooShortError(table, retain_hours, min_retention_hours)


def vacuum_table(
    profile: StorageProfile,
    table: str,
    *,
    retain_hours: float = DEFAULT_MIN_RETENTION_HOURS,
    dry_run: bool = False,
    force: bool = False,
    min_retention_hours: float = DEFAULT_MIN_RETENTION_HOURS,
) -> VacuumResult:
    """Delete the table's removed files and our writers' orphans older than ``retain_hours``.

    See the module docstring for exactly which files qualify. A dry run lists them and deletes
    nothing (it is allowed below the minimum retention). Fractional hours round up.
    """
    uri = profile.resolve(table)
    check_retention(uri, retain_hours, force=force, min_retention_hours=min_retention_hours, dry_run=dry_run)
    hours = retain_hours if math.isinf(retain_hours) else math.ceil(retain_hours)
    dt = _open(profile, uri)
    if math.isinf(hours):
        return VacuumResult(uri, [], dry_run, retain_hours)
    fs, root = profile.filesystem(), profile.fs_path(uri).rstrip("/")
    now_ms = int(time.time() * 1000)
    with delta_errors(profile, uri):
        orphans = _orphans(fs, root, uri, dt, older_than_ms=now_ms - int(hours) * 3_600_000)
        meta = {
            "lakeforge.operation": "VACUUM",
            "lakeforge.vacuum.retainHours": f"{retain_hours:g}",
            "lakeforge.vacuum.forced": str(bool(force and retain_hours < min_retention_hours)).lower(),
            "lakeforge.vacuum.orphanFiles": str(len(orphans)),
        }
        removed = dt.vacuum(
            retention_hours=int(hours), dry_run=dry_run, enforce_retention_duration=False, full=False,
            commit_properties=CommitProperties(custom_metadata=meta),
        )
        if not dry_run:
            _delete(fs, (f"{root}/{o}" for o in orphans))
    return VacuumResult(uri, sorted([*removed, *orphans]), dry_run, retain_hours, orphans)


def _orphans(fs: pafs.FileSystem, root: str, uri: str, dt: DeltaTable, *, older_than_ms: int) -> list[str]:
    """Our writers' files under the root that no log action names, written after the first commit."""
    index = read_log(fs, root, uri)
    created = index.commits.get(0, {})
    if created.get(CREATED_IN) in (EMPTY, WRITER_FILES):
        after = 0  # the location held nothing but our writers' files: every such orphan is ours
    else:
        after = int(created.get("timestamp") or dt.metadata().created_time or 0)
        if not after:
            return []  # cannot tell files written after the table from files that were there before
    return [o.path for o in find_orphans(fs, root, set(index.files), written_after_ms=after,
                                         older_than_ms=older_than_ms)]


def purge_table(profile: StorageProfile, table: str) -> PurgeResult:
    """Delete the data files any add or remove action of the log ever named, then ``_delta_log/``.

    Files the log never referenced stay (the location may hold other files); folders left
    empty (and the directory markers pyarrow leaves on S3) are removed. Data files go first, the log last, so an
    interrupted PURGE can be run again. Without a log nothing is deleted.
    """
    uri = profile.resolve(table)
    fs, root = profile.filesystem(), profile.fs_path(uri).rstrip("/")
    log_dir = f"{root}/_delta_log"
    with storage_errors(profile, uri):
        if fs.get_file_info(log_dir).type == pafs.FileType.NotFound:
            return PurgeResult(uri, 0, False)
        index = read_log(fs, root, uri)
        deleted = _delete(fs, (f"{root}/{rel}" for rel in index.files))
        fs.delete_dir(log_dir)
        _remove_empty_dirs(fs, root, {f"{root}/{rel}".rsplit("/", 1)[0] for rel in index.files})
    return PurgeResult(uri, deleted, True)


def _delete(fs: pafs.FileSystem, paths: Iterable[str]) -> int:
    """Delete ``paths`` (missing ones are skipped); returns how many were deleted."""

    def one(path: str) -> int:
        try:
            fs.delete_file(path)
        except FileNotFoundError:
            return 0
        return 1

    with ThreadPoolExecutor(_THREADS) as pool:
        return sum(pool.map(one, list(paths)))


def _remove_empty_dirs(fs: pafs.FileSystem, root: str, dirs: set[str]) -> None:
    """Remove the folders in ``dirs`` and their parents up to ``root`` that are empty, deepest first."""
    candidates = set()
    for d in dirs:
        while d.startswith(root):
            candidates.add(d)
            d = d.rsplit("/", 1)[0]
    for d in sorted(candidates, key=lambda p: p.count("/"), reverse=True):
        info = fs.get_file_info(d)
        if info.type == pafs.FileType.Directory and not fs.get_file_info(pafs.FileSelector(d)):
            fs.delete_dir(d)
