"""An ETL table's sources from the catalog, and the mode its query allows.

Incremental when the query is row-wise (:mod:`catalog.etl.shape`), its driving table is a
Delta table and every joined table is a static non-Delta table (joins with views or other
Delta tables would need their changes too). Otherwise complete: every Delta table read is a
bookmarked source; reading views or raw tables (whose changes have no version) makes every
run recompute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from catalog.etl.shape import QueryShape
from catalog.names import TableName
from catalog.sql.resolve import TableInfo

__all__ = ["SourcePlan", "plan_sources"]


@dataclass(frozen=True)
class SourcePlan:
    """Which tables are bookmarked Delta sources, which one (if any) is read incrementally."""

    delta: tuple[TableInfo, ...]
    incremental: TableName | None
    mode_reason: str
    always_recompute: str | None = None

    @property
    def mode(self) -> str:
        return "incremental" if self.incremental is not None else "complete"


def plan_sources(shape: QueryShape, infos: Sequence[TableInfo]) -> SourcePlan:
    """The source plan for a query of ``shape`` reading the tables ``infos``."""
    delta = tuple(i for i in infos if i.kind == "delta")
    others = [i for i in infos if i.kind != "delta"]
    unversioned = [f"{i.name} ({i.kind})" for i in others]
    if shape.row_wise and len(delta) == 1 and delta[0].name == shape.driving and all(i.kind != "view" for i in others):
        static = f"; joined with static {', '.join(unversioned)}" if unversioned else ""
        return SourcePlan(delta, delta[0].name, f"row-wise over the Delta table {delta[0].name}{static}")
    if not shape.row_wise:
        reason = f"complete: {shape.reason}"
    elif not delta:
        reason = "complete: it reads no Delta table"
    elif len(delta) > 1:
        reason = f"complete: it reads several Delta tables ({', '.join(str(i.name) for i in delta)})"
    elif delta[0].name != shape.driving:
        reason = f"complete: its FROM table {shape.driving} is not a Delta table"
    else:
        reason = "complete: it joins views"
    recompute = (f"it reads {', '.join(unversioned)}, which have no Delta version: recomputed every run"
                 if unversioned else None)
    return SourcePlan(delta, None, reason, recompute)
