"""What changed in a Delta table between two versions, read from its log.

Semantics follow Delta's own streaming source: a commit's ``add`` actions with
``dataChange=true`` are new rows; commits whose actions all have ``dataChange=false``
(OPTIMIZE, compaction) carry no new data and are skipped, so compaction never duplicates
rows downstream. A commit that removes files with ``dataChange=true`` (DELETE, MERGE,
overwrite, replaceWhere) rewrote or deleted rows: its added files hold the rewritten rows
(upserted again by the target's KEY) and its removed files the rows that may be gone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import unquote

import pyarrow.fs as pafs

from lake.delta import ScanPlan
from lake.etl.errors import HistoryUnavailableError
from lake.storage import StorageProfile

__all__ = ["Change", "ChangeSet", "read_changes"]


@dataclass(frozen=True)
class Change:
    """One commit's data files: added (new rows) and removed with a data change."""

    version: int
    operation: str
    added: list[tuple[str, dict[str, str | None]]]
    removed: list[tuple[str, dict[str, str | None]]]

    @property
    def rewrites(self) -> bool:
        """True when the commit removed rows' files as a data change (DELETE, MERGE, overwrite)."""
        return bool(self.removed)


@dataclass
class ChangeSet:
    """The data changes of versions ``(since, until]``."""

    table: str
    since: int
    until: int
    changes: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(c.added or c.removed for c in self.changes)

    @property
    def rewrites(self) -> list[Change]:
        return [c for c in self.changes if c.rewrites]

    def added_plan(self, total_files: int = 0) -> ScanPlan:
        """The files holding new rows, as a scan plan for the table store."""
        files = [(p, v) for c in self.changes for p, v in c.added]
        return ScanPlan([p for p, _ in files], [v for _, v in files], total_files or len(files))

    def removed_plan(self) -> ScanPlan:
        """The files whose rows a data-changing commit removed."""
        files = [(p, v) for c in self.changes for p, v in c.removed]
        return ScanPlan([p for p, _ in files], [v for _, v in files], len(files))


def read_changes(uri: str, profile: StorageProfile, since: int, until: int) -> ChangeSet:
    """The data changes of the Delta table at ``uri`` in versions ``since+1 … until``.

    ``since = -1`` means "from the start". Commit files must still exist (Delta keeps them for
    ``delta.logRetentionDuration``, 30 days by default), and so must the added files (VACUUM
    keeps removed files for its retention); otherwise :class:`HistoryUnavailableError`.
    """
    fs = profile.filesystem()
    fs_root = profile.fs_path(uri).rstrip("/")
    out = ChangeSet(uri, since, until)
    for version in range(since + 1, until + 1):
        path = f"{fs_root}/_delta_log/{version:020d}.json"
        try:
            with fs.open_input_stream(path) as stream:
                lines = stream.read().decode("utf-8").splitlines()
        except (FileNotFoundError, OSError):
            raise HistoryUnavailableError(uri, since, f"commit {version} is no longer in the log") from None
        out.changes.append(_change(version, lines, uri.rstrip("/")))
    missing = [p for c in out.changes for p, _ in c.added if not _exists(fs, profile.fs_path(p))]
    if missing:
        raise HistoryUnavailableError(uri, since, f"{len(missing)} added files were removed by VACUUM "
                                                  f"(e.g. {missing[0]})")
    return out


def _change(version: int, lines: list[str], root: str) -> Change:
    added: list[tuple[str, dict[str, str | None]]] = []
    removed: list[tuple[str, dict[str, str | None]]] = []
    operation = "WRITE"
    for line in lines:
        if not line.strip():
            continue
        action = json.loads(line)
        if "commitInfo" in action:
            info = action["commitInfo"]
            operation = str(info.get("lakeforge.operation") or info.get("operation") or operation)
        for kind, target in (("add", added), ("remove", removed)):
            entry = action.get(kind)
            if entry is not None and entry.get("dataChange", True):
                target.append((f"{root}/{unquote(entry['path'])}", dict(entry.get("partitionValues") or {})))
    return Change(version, operation, added, removed)


def _exists(fs: pafs.FileSystem, path: str) -> bool:
    return fs.get_file_info(path).type != pafs.FileType.NotFound
