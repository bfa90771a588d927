"""Which files a table owns: refusing non-empty locations, and our own writers' orphans.

A Delta table owns exactly the files its log references. Two rules keep it from touching
anything else:

* a table is created only in an empty location (or with an explicit opt-in), so it never
  adopts files someone else put there;
* VACUUM deletes a file the log never referenced only if our own writer wrote it: its name
  is our data-file name (``part-<task>-<uuid4>.c000.snappy.parquet``), it lies under the table
  root outside ``_``/``.`` folders, and it was written after the table's first commit — or at
  any time, when the first commit records (``lakeforge.createdIn``) that the location was
  empty or held only our writer's files when the table was created.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass

import pyarrow.fs as pafs
from deltalake import DeltaTable

from lake.delta.errors import LocationNotEmptyError
from lake.storage import StorageProfile

__all__ = [
    "CREATED_IN",
    "EMPTY",
    "NON_EMPTY",
    "WRITER_FILES",
    "Orphan",
    "check_new_location",
    "find_orphans",
    "is_writer_file",
]

# lake.delta._paths.data_file_name: part-{task:05d}-{uuid4}.c000.snappy.parquet
_WRITER_FILE = re.compile(
    r"^part-\d{5}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.c000\.snappy\.parquet$"
)
_PARTITION_DIR = re.compile(r"^[^_.][^=/]*=[^/]*$")
_SHOWN = 3
_INSPECT_LIMIT = 32

#: Where a table was created, recorded in its first commit as ``lakeforge.createdIn``.
CREATED_IN = "lakeforge.createdIn"
EMPTY = "empty"
WRITER_FILES = "writer-files"
NON_EMPTY = "non-empty"


def is_writer_file(name: str) -> bool:
    """True for a file name our table writer produces (see :func:`lake.delta._paths.data_file_name`)."""
    return bool(_WRITER_FILE.match(name))


def check_new_location(profile: StorageProfile, uri: str) -> str:
    """What a table created at ``uri`` would be created in; :class:`LocationNotEmptyError` if it
    would adopt files.

    Returns :data:`EMPTY` (no such location, nothing but ``_delta_log/``, or already a Delta
    table) or :data:`WRITER_FILES` (only data files our writer left behind, in partition
    folders: a first write that was killed before committing, or a concurrent creator).
    Cheap: one non-recursive listing; partition folders are walked only when every other entry
    is ours, and only up to a few of them.
    """
    from lake.delta.translate import delta_errors

    fs, path = profile.filesystem(), profile.fs_path(uri).rstrip("/")
    with delta_errors(profile, uri):
        info = fs.get_file_info(path)
        if info.type == pafs.FileType.File:
            raise LocationNotEmptyError(uri, [info.base_name], 1)
        if info.type == pafs.FileType.NotFound:
            problem = profile.diagnose(uri)  # nothing there: the bucket or a parent may be the reason
            if problem is not None:
                raise problem
            return EMPTY
        listing = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
        entries = [e for e in listing if e.base_name != "_delta_log"]
        if not entries or (len(entries) < len(listing) and DeltaTable.is_deltatable(
                uri, storage_options=profile.storage_options() or None)):
            return EMPTY
        if _only_writer_files(fs, entries):
            return WRITER_FILES
    names = sorted(f"{e.base_name}/" if e.type == pafs.FileType.Directory else e.base_name for e in entries)
    raise LocationNotEmptyError(uri, names[:_SHOWN], len(names))


def _only_writer_files(fs: pafs.FileSystem, entries: list[pafs.FileInfo]) -> bool:
    if len(entries) > _INSPECT_LIMIT:
        return False
    for entry in entries:
        if entry.is_file:
            if not is_writer_file(entry.base_name):
                return False
        elif entry.type != pafs.FileType.Directory or not _PARTITION_DIR.match(entry.base_name):
            return False
    for entry in entries:
        if entry.type == pafs.FileType.Directory:
            for sub in fs.get_file_info(pafs.FileSelector(entry.path, recursive=True)):
                ok = is_writer_file(sub.base_name) if sub.is_file else bool(_PARTITION_DIR.match(sub.base_name))
                if not ok:
                    return False
    return True


@dataclass(frozen=True)
class Orphan:
    """A data file our writer left under the table root that the log never referenced."""

    path: str
    size: int


def find_orphans(
    fs: pafs.FileSystem, fs_root: str, referenced: Set[str], *, written_after_ms: int, older_than_ms: int
) -> list[Orphan]:
    """Our writer's files under ``fs_root`` that are not in ``referenced`` (relative paths) and were
    modified after ``written_after_ms`` and before ``older_than_ms`` (epoch milliseconds)."""
    root = fs_root.rstrip("/")
    out = []
    for info in fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True)):
        if not info.is_file or not is_writer_file(info.base_name):
            continue
        rel = info.path[len(root) + 1:]
        if rel in referenced or any(part[:1] in ("_", ".") for part in rel.split("/")[:-1]):
            continue
        if info.mtime_ns is None:
            continue
        if written_after_ms < info.mtime_ns // 1_000_000 < older_than_ms:
            out.append(Orphan(rel, int(info.size or 0)))
    return sorted(out, key=lambda o: o.path)
