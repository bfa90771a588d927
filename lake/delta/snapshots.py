"""Open Delta snapshots reused across reads for as long as they are still what the log says.

Opening a ``deltalake`` table replays its log (the last checkpoint and the commits after it);
a reader that opens the same tables for every statement pays that each time. A
:class:`SnapshotCache` keeps open snapshots keyed by table identity — the table root and the
Delta table id from ``metaData`` — and version, and on every request checks that its newest
snapshot of a table is still the latest of *the same* table, with two small reads of the log:

- the commit file of the cached version is still the file it was: same content hash of its
  first MiB (a table dropped and recreated at the same location has new commit files, with
  new timestamps and file names, usually starting again at version 0 — or none at that version);
- there is no commit file for the next version (a write, an overwrite, VACUUM: all commit).

Otherwise the latest version is found (probing commit files upward from the last known or
last checkpointed version), its commit file is fingerprinted and only then the snapshot is
loaded pinned at that version: a table replaced in between can make the next request miss,
never make it hit on the old table. Time travel to a version is served from the cache under
the current table's id and checked against VACUUM every time; time travel to a timestamp is
not cached.

Snapshots handed out are shared between callers (and threads): never mutate one
(``load_as_version``, ``update_incremental``); open your own with
:func:`lake.delta.read.open_snapshot` to do that.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import pyarrow.fs as pafs
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError
from deltalake.exceptions import TableNotFoundError as _DeltaMissing

from lake.delta._travel import check_version_files
from lake.delta.read import open_snapshot
from lake.delta.translate import delta_errors, missing_table, time_travel_error
from lake.storage import StorageProfile

__all__ = ["SnapshotCache", "latest_version"]

_COMMIT = re.compile(r"^(\d{20})\.json$")
_FINGERPRINT_BYTES = 1 << 20
_ATTEMPTS = 3


@dataclass(frozen=True)
class _Head:
    """The latest snapshot of a table as last seen, and the fingerprint of its commit file."""

    snapshot: DeltaTable
    table_id: str
    version: int
    fingerprint: str


def _commit(log: str, version: int) -> str:
    return f"{log}/{version:020d}.json"


def _fingerprint(fs: pafs.FileSystem, path: str) -> str | None:
    """SHA-256 of the first MiB of a commit file (``None`` if there is none)."""
    try:
        with fs.open_input_stream(path) as stream:
            return hashlib.sha256(stream.read(_FINGERPRINT_BYTES)).hexdigest()
    except FileNotFoundError:
        return None


def _exists(fs: pafs.FileSystem, path: str) -> bool:
    try:
        with fs.open_input_stream(path):
            return True
    except FileNotFoundError:
        return False


def _checkpointed_version(fs: pafs.FileSystem, log: str) -> int | None:
    """The version ``_last_checkpoint`` names, if it names one."""
    try:
        with fs.open_input_stream(f"{log}/_last_checkpoint") as stream:
            version = json.loads(stream.read()).get("version")
    except (FileNotFoundError, ValueError, AttributeError):
        return None
    return version if isinstance(version, int) and version >= 0 else None


def _listed_latest(fs: pafs.FileSystem, log: str) -> int | None:
    infos = fs.get_file_info(pafs.FileSelector(log, allow_not_found=True))
    versions = [int(m.group(1)) for i in infos if (m := _COMMIT.match(i.base_name))]
    return max(versions, default=None)


def latest_version(fs: pafs.FileSystem, log: str, known: int | None = None) -> int | None:
    """The newest commit version in ``log`` (``None``: no commits), by probing commit files.

    Versions are contiguous from the oldest kept commit on, so the search gallops upward
    from ``known`` (a version known to exist), else from the last checkpoint, else from 0,
    and bisects; only a log without any of those is listed.
    """
    start = known
    if start is None:
        checkpointed = _checkpointed_version(fs, log)
        if checkpointed is not None and _exists(fs, _commit(log, checkpointed)):
            start = checkpointed
        elif _exists(fs, _commit(log, 0)):
            start = 0
        else:
            return _listed_latest(fs, log)
    low, step = start, 1
    while _exists(fs, _commit(log, low + step)):
        low, step = low + step, step * 2
    high = low + step  # no commit there
    while high - low > 1:
        middle = (low + high) // 2
        if _exists(fs, _commit(log, middle)):
            low = middle
        else:
            high = middle
    return low


class SnapshotCache:
    """Latest and time-travelled snapshots of the tables of one lake, checked on every request.

    At most ``tables`` latest snapshots and ``versions`` snapshots by version are kept (least
    recently used go first). ``hits`` and ``opens`` count requests served from the cache and
    snapshots loaded.
    """

    def __init__(self, profile: StorageProfile, *, tables: int = 16, versions: int = 32) -> None:
        self.profile = profile
        self.tables = tables
        self.versions = versions
        self.hits = 0
        self.opens = 0
        self._lock = threading.Lock()
        self._heads: OrderedDict[str, _Head] = OrderedDict()
        self._versions: OrderedDict[tuple[str, str, int], DeltaTable] = OrderedDict()

    def snapshot(
        self, table: str, *, version: int | None = None, timestamp: datetime | str | None = None
    ) -> DeltaTable:
        """The table ``table`` (name or URI) at the latest, a given version or a given time.

        Raises the same errors as :func:`lake.delta.read.open_snapshot`: a missing table,
        a version that does not exist, a version whose files VACUUM deleted.
        """
        uri = self.profile.resolve(table).rstrip("/")
        with delta_errors(self.profile, uri):
            head = self._head(uri)
            if version is None and timestamp is not None:
                return open_snapshot(self.profile, uri, timestamp=timestamp)
            if version is None or version == head.version:
                return head.snapshot
            return self._version(uri, head, version)

    def clear(self) -> None:
        """Forget every snapshot."""
        with self._lock:
            self._heads.clear()
            self._versions.clear()

    # ---------------------------------------------------------------- latest
    def _head(self, uri: str) -> _Head:
        fs = self.profile.filesystem()
        log = f"{self.profile.fs_path(uri).rstrip('/')}/_delta_log"
        with self._lock:
            cached = self._heads.get(uri)
        known = None
        if cached is not None:
            if _fingerprint(fs, _commit(log, cached.version)) == cached.fingerprint:
                if not _exists(fs, _commit(log, cached.version + 1)):
                    with self._lock:
                        self.hits += 1
                        self._heads.move_to_end(uri)
                    return cached
                known = cached.version  # the same table with newer commits
            else:
                self._forget(uri)  # dropped and recreated, or gone
        head = self._open_head(uri, fs, log, known)
        with self._lock:
            self.opens += 1
            self._heads[uri] = head
            self._heads.move_to_end(uri)
            self._keep((uri, head.table_id, head.version), head.snapshot)
            while len(self._heads) > self.tables:
                self._heads.popitem(last=False)
        return head

    def _open_head(self, uri: str, fs: pafs.FileSystem, log: str, known: int | None) -> _Head:
        """Find the latest version, fingerprint its commit, then load the snapshot pinned there."""
        for attempt in range(_ATTEMPTS):
            version = latest_version(fs, log, known)
            if version is None:
                raise missing_table(self.profile, uri)
            fingerprint = _fingerprint(fs, _commit(log, version))
            if fingerprint is not None:
                try:
                    dt = DeltaTable(uri, version=version, storage_options=self.profile.storage_options() or None)
                except DeltaError:
                    if attempt == _ATTEMPTS - 1:
                        raise
                else:
                    return _Head(dt, str(dt.metadata().id), version, fingerprint)
            known = None  # the log changed while we looked: start over
        raise missing_table(self.profile, uri)

    def _forget(self, uri: str) -> None:
        with self._lock:
            self._heads.pop(uri, None)
            for key in [k for k in self._versions if k[0] == uri]:
                del self._versions[key]

    # -------------------------------------------------------------- versions
    def _version(self, uri: str, head: _Head, version: int) -> DeltaTable:
        key = (uri, head.table_id, version)
        with self._lock:
            dt = self._versions.get(key)
            if dt is not None:
                self.hits += 1
                self._versions.move_to_end(key)
        if dt is None:
            try:
                dt = DeltaTable(uri, version=version, storage_options=self.profile.storage_options() or None)
            except _DeltaMissing:
                raise missing_table(self.profile, uri) from None
            except DeltaError as exc:
                raise time_travel_error(self.profile, uri, version, None, exc) from None
            with self._lock:
                self.opens += 1
                if str(dt.metadata().id) == head.table_id:
                    self._keep(key, dt)
        check_version_files(self.profile, uri, dt, latest=head.snapshot)  # VACUUM may have run since
        return dt

    def _keep(self, key: tuple[str, str, int], dt: DeltaTable) -> None:
        self._versions[key] = dt
        self._versions.move_to_end(key)
        while len(self._versions) > self.versions:
            self._versions.popitem(last=False)
