"""Scan planning: partition pruning and min/max file skipping from the Delta log.

A :class:`ScanPlan` lists the data files a read opens, with what the log knows of each:
size, partition values and statistics (row count, min/max, null counts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc

from lake.delta._paths import partition_value_string

__all__ = ["FileStats", "Filter", "ScanPlan", "filters_to_column", "plan_files"]

Filter = tuple[str, str, Any]
_OPS = {"=", "==", "!=", "<", "<=", ">", ">=", "in", "not in"}


@dataclass(frozen=True)
class FileStats:
    """What the Delta log records about one data file's rows (absent columns: not recorded).

    Nested fields are named by their path (``address.city``); strings may be truncated
    prefixes (Delta keeps at most 32 characters), so a min/max bounds the values, nothing more.
    """

    num_records: int | None
    min_values: dict[str, Any] = field(default_factory=dict)
    max_values: dict[str, Any] = field(default_factory=dict)
    null_count: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ScanPlan:
    """The data files a read opens, out of how many the snapshot has.

    ``files`` are absolute URIs; ``partition_values``, ``sizes`` (bytes) and ``stats`` are
    parallel to them. ``sizes``/``stats`` default to unknown (``None``) for each file, as for
    a plan built from commit files rather than a snapshot.
    """

    files: list[str]
    partition_values: list[dict[str, str | None]]
    total_files: int
    sizes: list[int | None] = field(default_factory=list)
    stats: list[FileStats | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.files)
        for name in ("partition_values", "sizes", "stats"):
            values = getattr(self, name)
            if not values and name != "partition_values":
                object.__setattr__(self, name, [None] * n)
            elif len(values) != n:
                raise ValueError(f"ScanPlan: {len(values)} {name} for {n} files")

    @property
    def skipped(self) -> int:
        """Files of the snapshot the plan does not open (pruned or skipped)."""
        return self.total_files - len(self.files)

    @property
    def size_bytes(self) -> int | None:
        """The bytes the read opens (``None`` when a file's size is unknown)."""
        return None if any(s is None for s in self.sizes) else sum(s for s in self.sizes if s is not None)

    @property
    def num_records(self) -> int | None:
        """The rows in the planned files before row filtering (``None`` when a count is unknown)."""
        counts = [s.num_records if s is not None else None for s in self.stats]
        return None if any(c is None for c in counts) else sum(c for c in counts if c is not None)


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
    parts: list[dict[str, str | None]] = [{} for _ in files]
    for col in partition_columns:
        for values, value in zip(parts, kept.column(f"partition.{col}").to_pylist(), strict=True):
            values[col] = partition_value_string(value)
    sizes: list[int | None] = (
        [int(s) for s in kept.column("size_bytes").to_pylist()] if "size_bytes" in kept.column_names else []
    )
    return ScanPlan(files, parts, actions.num_rows, sizes, file_stats(kept))


def file_stats(actions: pa.Table) -> list[FileStats | None]:
    """Per-file statistics of flattened add actions (``None`` for a file without any)."""
    n = actions.num_rows
    counts = actions.column("num_records").to_pylist() if "num_records" in actions.column_names else [None] * n
    found: dict[str, list[dict[str, Any]]] = {"min.": [{} for _ in range(n)], "max.": [{} for _ in range(n)],
                                              "null_count.": [{} for _ in range(n)]}
    for name in actions.column_names:
        prefix = next((p for p in found if name.startswith(p)), None)
        if prefix is None:
            continue
        column = name[len(prefix):]
        for per_file, value in zip(found[prefix], actions.column(name).to_pylist(), strict=True):
            if value is not None:
                per_file[column] = value
    out: list[FileStats | None] = []
    for i, count in enumerate(counts):
        lo, hi, nulls = found["min."][i], found["max."][i], found["null_count."][i]
        has_any = count is not None or lo or hi or nulls
        out.append(FileStats(None if count is None else int(count), lo, hi, nulls) if has_any else None)
    return out


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
