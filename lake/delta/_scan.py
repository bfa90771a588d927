"""Scan planning: partition pruning and min/max file skipping from the Delta log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Filter", "ScanPlan", "filters_to_column", "plan_files"]

Filter = tuple[str, str, Any]
_OPS = {"=", "==", "!=", "<", "<=", ">", ">=", "in", "not in"}


@dataclass(frozen=True)
class ScanPlan:
    """The files a read will open, out of how many the snapshot has."""

    files: list[str]
    partition_values: list[dict[str, str | None]]
    total_files: int

    @property
    def skipped(self) -> int:
        return self.total_files - len(self.files)


def _validate(filters: Sequence[Filter], columns: Sequence[str], table: str) -> None:
    from lake.delta.errors import InvalidWriteError

    for col, op, _ in filters:
        if op not in _OPS:
            raise InvalidWriteError(table, f"unsupported filter operator {op!r}; valid: {sorted(_OPS)}")
        if col not in columns:
            raise InvalidWriteError(table, f"filter on unknown column {col!r}", columns=[col])


def _scalar(value: Any, typ: pa.DataType) -> pa.Scalar:
    if pa.types.is_timestamp(typ) and isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if pa.types.is_date(typ) and isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return pa.scalar(value, type=typ)


def _may_match(actions: pa.Table, col: str, op: str, value: Any, partitioned: bool) -> pa.Array:
    """Boolean mask of files that may hold rows with ``col op value`` (true when unknown)."""
    n = actions.num_rows
    unknown = pa.array([True] * n, type=pa.bool_())
    if partitioned:
        column = actions.column(f"partition.{col}")
        lo = hi = column
    else:
        if f"min.{col}" not in actions.column_names or f"max.{col}" not in actions.column_names:
            return unknown
        lo, hi = actions.column(f"min.{col}"), actions.column(f"max.{col}")
    typ = lo.type
    try:
        if op in ("in", "not in"):
            values = [_scalar(v, typ) for v in value]
        else:
            scalar = _scalar(value, typ)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return unknown
    if op in ("=", "=="):
        mask = pc.and_(pc.less_equal(lo, scalar), pc.greater_equal(hi, scalar))
    elif op == "<":
        mask = pc.less(lo, scalar)
    elif op == "<=":
        mask = pc.less_equal(lo, scalar)
    elif op == ">":
        mask = pc.greater(hi, scalar)
    elif op == ">=":
        mask = pc.greater_equal(hi, scalar)
    elif op == "in":
        mask = pa.array([False] * n, type=pa.bool_())
        for s in values:
            mask = pc.or_(mask, pc.and_(pc.less_equal(lo, s), pc.greater_equal(hi, s)))
    elif op == "!=" and partitioned:
        mask = pc.not_equal(lo, scalar)
    elif op == "not in" and partitioned:
        mask = pc.invert(pc.is_in(lo, value_set=pa.array(values, type=typ)))
    else:
        return unknown
    if partitioned:
        return pc.fill_null(mask, False)
    return pc.fill_null(mask, True)


def plan_files(
    actions: pa.Table,
    table_uri: str,
    partition_columns: Sequence[str],
    filters: Sequence[Filter] | None,
    all_columns: Sequence[str],
) -> ScanPlan:
    """Keep the files of ``actions`` (``get_add_actions(flatten=True)``) that may match."""
    filters = list(filters or [])
    _validate(filters, all_columns, table_uri)
    mask = pa.array([True] * actions.num_rows, type=pa.bool_())
    for col, op, value in filters:
        mask = pc.and_(mask, _may_match(actions, col, op, value, col in partition_columns))
    kept = actions.filter(mask)
    root = table_uri.rstrip("/")
    files = [f"{root}/{unquote(p)}" for p in kept.column("path").to_pylist()]
    parts = [
        {c: (None if kept.column(f"partition.{c}")[i].as_py() is None else
             _pv(kept.column(f"partition.{c}")[i].as_py())) for c in partition_columns}
        for i in range(kept.num_rows)
    ]
    return ScanPlan(files, parts, actions.num_rows)


def _pv(value: Any) -> str:
    from lake.delta._paths import partition_value_string

    return partition_value_string(value) or ""


def _term(col: str, op: str, value: Any) -> Any:
    from pyspark.sql import functions as F

    c = F.col(col)
    if op in ("=", "=="):
        return c == value
    if op == "!=":
        return c != value
    if op == "<":
        return c < value
    if op == "<=":
        return c <= value
    if op == ">":
        return c > value
    if op == ">=":
        return c >= value
    if op == "in":
        return c.isin(list(value))
    return ~c.isin(list(value))


def filters_to_column(filters: Sequence[Filter]) -> Any:
    """The same conjunction as a Spark ``Column`` (applied after file pruning)."""
    expr = None
    for col, op, value in filters:
        term = _term(col, op, value)
        expr = term if expr is None else expr & term
    return expr
