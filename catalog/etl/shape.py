"""Is an ETL table's query row-wise (each output row from one input row of one source)?

Row-wise queries can run incrementally: rows of new source files give exactly the new output
rows. A query is row-wise when it is one SELECT (no set operation) whose FROM is one catalog
table, joined only INNER or LEFT to other tables, with no aggregate, window function,
DISTINCT, GROUP BY, HAVING, LIMIT, subquery or CTE. Whether the FROM table is a Delta table
(and the joined ones are not) is decided at run time from the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from catalog.names import TableName
from catalog.sql.statements import table_name_of

__all__ = ["QueryShape", "query_shape"]


@dataclass(frozen=True)
class QueryShape:
    """``row_wise`` with the driving table, or why the query needs complete recomputation."""

    row_wise: bool
    reason: str
    driving: TableName | None = None
    joined: tuple[TableName, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"row_wise": self.row_wise, "reason": self.reason,
                "driving": str(self.driving) if self.driving else None, "joined": [str(t) for t in self.joined]}


def _complete(reason: str) -> QueryShape:
    return QueryShape(False, reason)


def query_shape(query: exp.Expression, default_database: str) -> QueryShape:
    """The shape of ``query`` (see the module docstring)."""
    if not isinstance(query, exp.Select):
        return _complete(f"a {type(query).__name__.upper()} of several queries")
    if query.args.get("with_") or query.args.get("with") or query.find(exp.CTE):
        return _complete("a WITH clause (CTE)")
    checks: tuple[tuple[type[Any], str], ...] = (
        (exp.AggFunc, "an aggregate function"),
        (exp.Window, "a window function"),
        (exp.Subquery, "a subquery"),
        (exp.Distinct, "DISTINCT"),
    )
    for node_type, what in checks:
        found = query.find(node_type)
        if found is not None:
            shown = "" if node_type is exp.Distinct else f" ({found.sql(dialect='spark')[:60]})"
            return _complete(what + shown)
    for arg, what in (("group", "GROUP BY"), ("having", "HAVING"), ("limit", "LIMIT"), ("offset", "OFFSET"),
                      ("qualify", "QUALIFY")):
        if query.args.get(arg) is not None:
            return _complete(what)
    nested = [s for s in query.find_all(exp.Select) if s is not query]
    if nested:
        return _complete("a nested query")
    source = query.args.get("from_") or query.args.get("from")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        return _complete("its FROM is not one catalog table")
    joined = []
    for join in query.args.get("joins") or []:
        side = (join.args.get("side") or "").upper()
        kind = (join.args.get("kind") or "").upper()
        if side not in ("", "LEFT") or kind not in ("", "INNER", "OUTER"):
            return _complete(f"a {' '.join(p for p in (side, kind) if p) or 'CROSS'} JOIN")
        if not isinstance(join.this, exp.Table):
            return _complete("a join with a derived table")
        joined.append(table_name_of(join.this, default_database))
    driving = table_name_of(table, default_database)
    if driving in joined:
        return _complete(f"{driving} is joined with itself")
    return QueryShape(True, "row-wise", driving, tuple(joined))
