"""Quality status of a table from ``quality.results``: the latest run, its failing rules, the history.

The latest run of a table is its newest run id in ``quality.results`` (a no-op ETL run writes
no results, so it is the last run that processed data). Its status is ``failed`` when any
rule failed (the run committed nothing), ``warned`` when a warn rule was violated, ``passed``
otherwise, ``unknown`` when the table has no results. :func:`quality_gate` is the check for
consumers such as training: a view is expanded to the tables it reads.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from catalog.etl.errors import FailedQualityError
from catalog.names import TableName, parse_table_name
from lake.etl import ResultsTable
from lake.etl.spec import RESULTS_LOCATION
from lake.quality import docs_location

if TYPE_CHECKING:
    from catalog.stores.base import CatalogStore
    from lake.storage import StorageProfile

__all__ = ["quality_docs", "quality_gate", "quality_show", "quality_status"]

_VIEW_SOURCES = "lakeforge.view.sources"
_RULE_FIELDS = ("rule", "kind", "action", "evaluated", "failed", "status")


def _name(table: str | TableName) -> str:
    return str(table if isinstance(table, TableName) else parse_table_name(table))


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _summary(table: str, run: dict[str, Any] | None) -> dict[str, Any]:
    if run is None:
        return {"table": table, "status": "unknown", "run_id": None, "recorded_at": None,
                "failed_rules": [], "warned_rules": []}
    rows = run["results"]
    failed = [r for r in rows if r["status"] == "failed"]
    warned = [r for r in rows if r["status"] == "warned"]
    status = "failed" if failed else "warned" if warned else "passed"

    def brief(row: dict[str, Any]) -> dict[str, Any]:
        out = {k: row[k] for k in _RULE_FIELDS}
        details = json.loads(row["details"]) if row.get("details") else {}
        if details.get("sample"):
            out["sample"] = details["sample"]
        return out

    return {"table": table, "status": status, "run_id": run["run_id"], "recorded_at": _iso(run["recorded_at"]),
            "failed_rules": [brief(r) for r in failed], "warned_rules": [brief(r) for r in warned]}


def quality_status(profile: StorageProfile, table: str | TableName) -> dict[str, Any]:
    """The latest quality run of ``table``: status, run id, failing and warned rules (JSON-able)."""
    name = _name(table)
    runs = ResultsTable(profile, RESULTS_LOCATION).runs(name)
    return _summary(name, runs[0] if runs else None)


def quality_show(profile: StorageProfile, table: str | TableName, *, limit: int = 10) -> dict[str, Any]:
    """The latest status plus the last ``limit`` runs with every rule's result (JSON-able)."""
    name = _name(table)
    runs = ResultsTable(profile, RESULTS_LOCATION).runs(name)
    shown = []
    for run in runs[:limit]:
        summary = _summary(name, run)
        shown.append({"run_id": run["run_id"], "recorded_at": _iso(run["recorded_at"]), "status": summary["status"],
                      "rules": [{**{k: r[k] for k in _RULE_FIELDS}, "seconds": r["seconds"]} for r in run["results"]]})
    return {**_summary(name, runs[0] if runs else None), "runs": shown, "docs_uri": quality_docs(profile, name)}


def quality_docs(profile: StorageProfile, table: str | TableName) -> str | None:
    """The Data Docs index of the table's latest run that has docs (``None``: none built)."""
    import pyarrow.fs as pafs

    name = _name(table)
    fs = profile.filesystem()
    for run in ResultsTable(profile, RESULTS_LOCATION).runs(name):
        index = docs_location(profile, name, run["run_id"]) + "/index.html"
        if fs.get_file_info(profile.fs_path(index)).type == pafs.FileType.File:
            return index
    return None


def quality_gate(
    store: CatalogStore, profile: StorageProfile, name: str | TableName, *, allow_failed: bool = False
) -> list[dict[str, Any]]:
    """The quality status of ``name`` and, for a view, of every table it reads (recursively).

    Raises :class:`FailedQualityError` naming the table and rule when one's latest run failed,
    unless ``allow_failed``. Tables without results are reported as ``unknown`` (not refused).
    """
    root = _name(name)
    statuses = [quality_status(profile, t) for t in _base_tables(store, root)]
    for status in statuses:
        if status["status"] == "failed" and not allow_failed:
            rule = status["failed_rules"][0]
            raise FailedQualityError(table=status["table"], run_id=status["run_id"], rule=rule["rule"],
                                     kind=rule["kind"], source=root)
    return statuses


def _base_tables(store: CatalogStore, name: str) -> list[str]:
    """``name`` itself, or for a view the tables it reads (through nested views)."""
    out: list[str] = []
    todo, seen = [name], set()
    while todo:
        current = todo.pop(0)
        if current in seen:
            continue
        seen.add(current)
        table = parse_table_name(current)
        exists = store.table_exists(table.database, table.table)
        entry = store.get_table(table.database, table.table) if exists else None
        if entry is not None and entry.is_view:
            todo += json.loads(entry.parameters.get(_VIEW_SOURCES) or "[]")
        else:
            out.append(current)
    return out
