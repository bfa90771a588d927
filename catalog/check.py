"""``lake catalog check``: catalog entries whose data is gone, and removing them on request.

- A Delta table is missing when its location holds no ``_delta_log`` files.
- A raw table (JSON, CSV, Parquet, …) is missing when its location prefix holds no file.
- A view is *broken* when a table or view it reads is not in the catalog, is missing, or was
  pruned; views are reported, never removed.
- A location that cannot be checked (the endpoint does not answer, or it lives on another
  kind of storage than the profile's) is reported as *unchecked*, never as missing.

``prune=True`` removes the missing entries from the catalog (data is never touched; there is
none left). An entry changed by another writer since it was checked is kept.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow.fs as pafs

from catalog.errors import CatalogError, EntityNotFoundError
from catalog.model import Param, Table
from lake.errors import LakeforgeError

if TYPE_CHECKING:
    from catalog.stores.base import CatalogStore
    from lake.storage import StorageProfile

__all__ = ["CheckEntry", "CheckReport", "check_catalog"]

_MAX_LISTED_FOLDERS = 200


@dataclass(frozen=True)
class CheckEntry:
    """One catalog entry and what the check found: ``ok``, ``missing``, ``broken`` or ``unchecked``."""

    table: str
    kind: str  # delta | raw | view
    location: str | None
    status: str
    reason: str = ""


@dataclass
class CheckReport:
    """Every checked entry, and the names removed by ``prune``."""

    entries: list[CheckEntry] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def with_status(self, status: str) -> list[CheckEntry]:
        return [e for e in self.entries if e.status == status]

    @property
    def clean(self) -> bool:
        """True when nothing is missing (or all of it was pruned) and no view is broken."""
        missing = {e.table for e in self.with_status("missing")} - set(self.pruned)
        return not missing and not self.with_status("broken")

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": len(self.entries),
            "ok": len(self.with_status("ok")),
            "missing": [asdict(e) for e in self.with_status("missing")],
            "broken_views": [asdict(e) for e in self.with_status("broken")],
            "unchecked": [asdict(e) for e in self.with_status("unchecked")],
            "pruned": self.pruned,
            "kept": self.kept,
            "clean": self.clean,
        }


def _kind(table: Table) -> str:
    if table.is_view:
        return "view"
    if (table.classification or "").lower() == "delta":
        return "delta"
    return "delta" if table.parameters.get(Param.TABLE_TYPE, "").upper() == "DELTA" else "raw"


def _has_file(fs: pafs.FileSystem, path: str) -> bool:
    """True when ``path`` is a file or a folder holding at least one file (breadth-first, stops early)."""
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.File:
        return True
    if info.type != pafs.FileType.Directory:
        return False
    queue, seen = deque([path]), 0
    while queue and seen < _MAX_LISTED_FOLDERS:
        folder = queue.popleft()
        seen += 1
        for child in fs.get_file_info(pafs.FileSelector(folder, allow_not_found=True)):
            if child.type == pafs.FileType.File:
                return True
            if child.type == pafs.FileType.Directory:
                queue.append(child.path)
    return bool(queue)  # gave up listing: something is there


def _check_data(table: Table, kind: str, profile: StorageProfile) -> CheckEntry:
    location = table.location
    name = table.qualified_name
    if not location:
        return CheckEntry(name, kind, None, "unchecked", "no location")
    try:
        fs = profile.filesystem()
        root = profile.fs_path(profile.resolve(location)).rstrip("/")
        target = f"{root}/_delta_log" if kind == "delta" else root
        present = _has_file(fs, target)
    except LakeforgeError as exc:
        return CheckEntry(name, kind, location, "unchecked", f"cannot check with profile {profile.name!r}: {exc}")
    except OSError as exc:
        return CheckEntry(name, kind, location, "unchecked", f"storage did not answer: {exc}")
    if present:
        return CheckEntry(name, kind, location, "ok")
    why = "no _delta_log" if kind == "delta" else "no files"
    return CheckEntry(name, kind, location, "missing", f"{why} at {location}")


def _view_sources(view: Table) -> list[str]:
    """The ``db.table`` names a view reads: recorded by CREATE VIEW, else parsed from its SQL."""
    import sqlglot

    from catalog.sql.ddl import VIEW_SOURCES_PARAM
    from catalog.sql.query import referenced_tables

    raw = view.parameters.get(VIEW_SOURCES_PARAM)
    if raw:
        try:
            return [str(s).lower() for s in json.loads(raw)]
        except ValueError:
            pass
    text = view.view_expanded_text
    if not text:
        return []

    try:
        ast = sqlglot.parse_one(text, read="spark")
        return [str(t).lower() for t in referenced_tables(ast, view.database_name)]  # type: ignore[arg-type]
    except sqlglot.errors.ParseError:
        return []


def _check_views(views: list[Table], status: dict[str, CheckEntry]) -> list[CheckEntry]:
    """Views whose sources are missing, pruned-to-be or broken themselves (to a fixpoint)."""
    sources = {v.qualified_name: _view_sources(v) for v in views}
    result = {v.qualified_name: CheckEntry(v.qualified_name, "view", None, "ok") for v in views}
    changed = True
    while changed:
        changed = False
        for view, deps in sources.items():
            if result[view].status == "broken":
                continue
            for dep in deps:
                found = result.get(dep) or status.get(dep)
                if found is None:
                    why = f"reads {dep}, which is not in the catalog"
                elif found.status in ("missing", "broken"):
                    why = f"reads {dep}, which is {found.status}"
                else:
                    continue
                result[view] = CheckEntry(view, "view", None, "broken", why)
                changed = True
                break
    return list(result.values())


def check_catalog(
    store: CatalogStore, profile: StorageProfile, *, prune: bool = False, databases: Collection[str] | None = None
) -> CheckReport:
    """Check every table's location (and every view's sources); ``prune`` removes the missing.

    ``databases`` limits the report (and pruning) to those databases; views there may still
    read tables of any database.
    """
    tables: list[Table] = []
    for database in store.list_databases():
        tables.extend(store.list_tables(database.name))
    status: dict[str, CheckEntry] = {}
    views: list[Table] = []
    by_name = {t.qualified_name: t for t in tables}
    for table in tables:
        kind = _kind(table)
        if kind == "view":
            views.append(table)
        else:
            status[table.qualified_name] = _check_data(table, kind, profile)
    entries = [*status.values(), *_check_views(views, status)]
    if databases is not None:
        wanted = {d.lower() for d in databases}
        entries = [e for e in entries if e.table.split(".", 1)[0] in wanted]
    report = CheckReport(entries=entries)
    report.entries.sort(key=lambda e: e.table)
    if prune:
        for entry in report.with_status("missing"):
            (report.pruned if _prune(store, by_name[entry.table]) else report.kept).append(entry.table)
    return report


def _prune(store: CatalogStore, checked: Table) -> bool:
    """Delete ``checked`` unless another writer changed it since it was read."""
    try:
        current = store.get_table(checked.database_name, checked.name)
    except EntityNotFoundError:
        return True
    if current.to_table_input() != checked.to_table_input():
        return False
    try:
        store.delete_table(checked.database_name, checked.name)
    except EntityNotFoundError:
        pass
    except CatalogError:
        return False
    return True
