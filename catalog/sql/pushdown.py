"""Filters a query's WHERE clause puts on one table, for pruning before Spark reads it.

Only top-level ``AND`` conjuncts of the form ``column <op> literal`` (``= != <> < <= > >=``,
``IN (…)``, ``BETWEEN``) are taken, and only when the literal's type fits the column's, so a
pushed filter never removes a row the WHERE clause would keep: every such conjunct rejects
NULLs, and the WHERE clause itself still runs after the scan. Pushed filters drive the
Delta store's partition pruning and min/max file skipping and the catalog's partition
pruning of raw tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from catalog.types import DecimalType, PrimitiveType, parse_type

__all__ = ["Filter", "SourceColumns", "conjuncts", "extract_filters", "literal_value"]

Filter = tuple[str, str, Any]

_OPS: Mapping[type[exp.Expression], str] = {
    exp.EQ: "=", exp.NEQ: "!=", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<=",
}
_FLIP = {"=": "=", "!=": "!=", ">": "<", ">=": "<=", "<": ">", "<=": ">="}
_NUMERIC = {"tinyint", "smallint", "int", "bigint", "float", "double"}
_TEXT = {"string"}


@dataclass(frozen=True)
class SourceColumns:
    """One table source of a SELECT: its alias and ``{lower-case column: (name, glue type)}``."""

    alias: str
    columns: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    if isinstance(node, exp.Paren):
        return conjuncts(node.this)
    if isinstance(node, exp.And):
        return conjuncts(node.this) + conjuncts(node.expression)
    return [node]


def literal_value(node: exp.Expression) -> tuple[str, Any] | None:
    """``("number"|"string"|"bool", value)`` for a literal (dates/timestamps as strings)."""
    if isinstance(node, exp.Paren):
        return literal_value(node.this)
    if isinstance(node, exp.Boolean):
        return "bool", bool(node.this)
    if isinstance(node, exp.Neg):
        inner = literal_value(node.this)
        return ("number", -inner[1]) if inner and inner[0] == "number" else None
    if isinstance(node, exp.Literal):
        if node.is_string:
            return "string", node.this
        text = str(node.this)
        try:
            return "number", int(text)
        except ValueError:
            try:
                return "number", float(text)
            except ValueError:
                return None
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        to = node.to.this if isinstance(node.to, exp.DataType) else None
        if to in (exp.DataType.Type.DATE,):
            return "date", node.this.this
        if to in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPTZ,
                  exp.DataType.Type.TIMESTAMPLTZ, exp.DataType.Type.TIMESTAMPNTZ):
            return "timestamp", node.this.this
    return None


def _fits(glue_type: str, kind: str, value: Any) -> bool:
    """True when comparing a column of ``glue_type`` with the literal needs no Spark coercion."""
    try:
        t = parse_type(glue_type)
    except Exception:  # unknown types are simply not pushed
        return False
    name = t.name if isinstance(t, PrimitiveType) else ("decimal" if isinstance(t, DecimalType) else "")
    if kind == "number":
        return name in _NUMERIC and not (isinstance(value, float) and name not in ("float", "double"))
    if kind == "bool":
        return name == "boolean"
    if kind in ("string", "date", "timestamp"):
        if name in _TEXT:
            return kind == "string"
        try:
            if name == "date":
                dt.date.fromisoformat(str(value))
                return True
            if name == "timestamp":
                dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
                return True
        except ValueError:
            return False
    return False


def _owner(column: exp.Column, sources: Mapping[str, SourceColumns], complete: bool) -> SourceColumns | None:
    qualifier = column.table.lower() if column.table else ""
    name = column.name.lower()
    if qualifier:
        src = sources.get(qualifier)
        return src if src is not None and name in src.columns else None
    if not complete:
        return None
    owners = [s for s in sources.values() if name in s.columns]
    return owners[0] if len(owners) == 1 else None


def _comparison(node: exp.Expression) -> tuple[exp.Column, str, list[tuple[str, Any]]] | None:
    if type(node) in _OPS:
        left, right = node.this, node.expression
        op = _OPS[type(node)]
        if isinstance(left, exp.Column) and (lit := literal_value(right)):
            return left, op, [lit]
        if isinstance(right, exp.Column) and (lit := literal_value(left)):
            return right, _FLIP[op], [lit]
        return None
    if isinstance(node, exp.In) and isinstance(node.this, exp.Column) and not node.args.get("query"):
        values = [literal_value(v) for v in node.expressions]
        if values and all(values):
            return node.this, "in", [v for v in values if v]
        return None
    if isinstance(node, exp.Between) and isinstance(node.this, exp.Column):
        low, high = literal_value(node.args["low"]), literal_value(node.args["high"])
        if low and high:
            return node.this, "between", [low, high]
    return None


def extract_filters(
    where: exp.Expression | None, sources: Mapping[str, SourceColumns], *, complete: bool
) -> dict[str, list[Filter]]:
    """``{alias: [(column, op, value), …]}`` for the sources a WHERE clause filters.

    ``sources`` maps lower-case aliases to table sources; ``complete`` says whether they are
    all the SELECT's sources (only then is an unqualified column attributed to one of them).
    """
    out: dict[str, list[Filter]] = {}
    clause = where.this if isinstance(where, exp.Where) else where
    for conjunct in conjuncts(clause):
        found = _comparison(conjunct)
        if found is None:
            continue
        column, op, literals = found
        src = _owner(column, sources, complete)
        if src is None:
            continue
        real, glue_type = src.columns[column.name.lower()]
        if not all(_fits(glue_type, kind, value) for kind, value in literals):
            continue
        values = [value for _, value in literals]
        if op == "between":
            filters: list[Filter] = [(real, ">=", values[0]), (real, "<=", values[1])]
        elif op == "in":
            filters = [(real, "in", values)]
        else:
            filters = [(real, op, values[0])]
        out.setdefault(src.alias, []).extend(filters)
    return out
