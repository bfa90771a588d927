"""Every data file a Delta log ever referenced, read from its JSON commits and checkpoints.

delta-rs answers "which files make up version N"; VACUUM, PURGE and the vacuumed-version
check need more: every path any add or remove action named (a removed file's tombstone may
already have expired from the newest checkpoint), the version that removed it, and the
commit infos (VACUUM START/END). All of it comes from one listing of ``_delta_log/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from lake.storage import uris

__all__ = ["LogIndex", "LoggedFile", "read_log", "relative_path"]

_COMMIT = re.compile(r"^(\d{20})\.json$")
_COMPACTED = re.compile(r"^\d{20}\.(\d{20})\.compacted\.json$")
_CHECKPOINT = re.compile(r"^(\d{20})\.checkpoint(\..+)?\.parquet$")
_THREADS = 8


@dataclass
class LoggedFile:
    """What the log says about one data file (paths relative to the table root, decoded)."""

    path: str
    added_version: int | None = None
    removed_version: int | None = None
    deletion_timestamp: int | None = None


@dataclass
class LogIndex:
    """The files and commit infos of one table's log."""

    root: str
    files: dict[str, LoggedFile] = field(default_factory=dict)
    commits: dict[int, dict[str, Any]] = field(default_factory=dict)
    external: set[str] = field(default_factory=set)

    def record(self, version: int, kind: str, path: str, deletion_timestamp: int | None = None, *,
              exact: bool = True) -> None:
        """Record an action; a checkpoint's (``exact=False``) only bounds what no commit file says."""
        rel = relative_path(self.root, path)
        if rel is None:
            self.external.add(path)
            return
        entry = self.files.setdefault(rel, LoggedFile(rel))
        if kind == "add":
            if entry.added_version is None or (exact and version >= entry.added_version):
                entry.added_version = version
        elif entry.removed_version is None or (exact and version >= entry.removed_version):
            entry.removed_version = version
            entry.deletion_timestamp = deletion_timestamp

    def vacuum_starts(self) -> list[tuple[int, dict[str, Any]]]:
        """``(version, commitInfo)`` of every VACUUM START commit still in the log, oldest first."""
        return sorted(((v, c) for v, c in self.commits.items() if c.get("operation") == "VACUUM START"),
                      key=lambda item: item[0])


def relative_path(root: str, path: str) -> str | None:
    """A log path (relative and URL-encoded, or an absolute URI) relative to ``root``; ``None`` if outside."""
    if "://" not in path and not path.startswith("/"):
        return unquote(path)
    native = unquote(uris.to_native(path))
    prefix = uris.to_native(root).rstrip("/") + "/"
    return native[len(prefix):] if native.startswith(prefix) else None


def read_log(fs: pafs.FileSystem, fs_root: str, root_uri: str) -> LogIndex:
    """Index the log of the table at ``fs_root`` (its pyarrow path; ``root_uri`` its native URI)."""
    index = LogIndex(root_uri)
    log_dir = f"{fs_root.rstrip('/')}/_delta_log"
    infos = fs.get_file_info(pafs.FileSelector(log_dir, recursive=True, allow_not_found=True))
    jsons: list[tuple[int, str]] = []
    parquets: list[tuple[int, str]] = []
    for info in infos:
        if not info.is_file:
            continue
        name = info.base_name
        if (m := _COMMIT.match(name)) or (m := _COMPACTED.match(name)):
            jsons.append((int(m.group(1)), info.path))
        elif m := _CHECKPOINT.match(name):
            parquets.append((int(m.group(1)), info.path))
        elif "/_sidecars/" in info.path and name.endswith(".parquet"):
            parquets.append((-1, info.path))
    with ThreadPoolExecutor(_THREADS) as pool:
        texts = list(pool.map(lambda item: (item[0], _read_text(fs, item[1])), jsons))
        tables = list(pool.map(lambda item: (item[0], _checkpoint_actions(fs, item[1])), parquets))
    for version, text in sorted(texts):
        for kind, path, ts, info in _commit_actions(text):
            if info is not None:
                index.commits[version] = info
            else:
                index.record(version, kind, path, ts)
    checkpoint_max = max((v for v, _ in parquets), default=-1)
    for version, actions in tables:
        for kind, path, ts in actions:
            index.record(version if version >= 0 else checkpoint_max, kind, path, ts, exact=False)
    return index


def _read_text(fs: pafs.FileSystem, path: str) -> str:
    with fs.open_input_stream(path) as fh:
        return bytes(fh.read()).decode()


def _commit_actions(text: str) -> Iterable[tuple[str, str, int | None, dict[str, Any] | None]]:
    for line in text.splitlines():
        if not line.strip():
            continue
        action = json.loads(line)
        if "commitInfo" in action:
            yield "info", "", None, action["commitInfo"]
        elif "add" in action:
            yield "add", action["add"]["path"], None, None
        elif "remove" in action:
            rm = action["remove"]
            yield "remove", rm["path"], rm.get("deletionTimestamp"), None


def _checkpoint_actions(fs: pafs.FileSystem, path: str) -> list[tuple[str, str, int | None]]:
    schema = pq.read_schema(path, filesystem=fs)
    columns = [c for c in ("add", "remove") if c in schema.names]
    if not columns:
        return []
    table = pq.read_table(path, filesystem=fs, columns=columns)
    out: list[tuple[str, str, int | None]] = []
    if "add" in columns:
        out += [("add", a["path"], None) for a in table.column("add").to_pylist() if a and a.get("path")]
    if "remove" in columns:
        out += [("remove", r["path"], r.get("deletionTimestamp"))
                for r in table.column("remove").to_pylist() if r and r.get("path")]
    return out
