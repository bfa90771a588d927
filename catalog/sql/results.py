"""Query results: column descriptions and page-by-page reading (sinks: :mod:`catalog.sql.sinks`).

A :class:`FrameResult` reads a Spark DataFrame page by page: small results are collected in
one Spark job, large ones stream with ``toLocalIterator`` so the driver never holds them whole.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from catalog.types import from_spark

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


__all__ = [
    "COLLECT_BELOW_BYTES",
    "FORMATS",
    "RESULTS_DIR",
    "ColumnInfo",
    "FrameResult",
    "ResultSet",
    "Row",
    "RowsResult",
    "json_value",
    "plain_value",
    "text_value",
]

FORMATS = ("table", "csv", "json", "parquet")
RESULTS_DIR = "_results"
COLLECT_BELOW_BYTES = 32 * 1024 * 1024
_ROW_BYTES = 256  # a row's size assumed when turning COLLECT_BELOW_BYTES into a row count


@dataclass(frozen=True)
class ColumnInfo:
    """A result column: its name and Glue (Hive) type."""

    name: str
    type: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type}


Row = tuple[Any, ...]


class ResultSet(Protocol):
    """Columns and rows of a statement's result, readable once, page by page."""

    columns: list[ColumnInfo]

    def pages(self, size: int) -> Iterator[list[Row]]: ...


@dataclass
class RowsResult:
    """A small result computed on the driver (SHOW, DESCRIBE, DML summaries)."""

    columns: list[ColumnInfo]
    rows: list[Row]

    def pages(self, size: int) -> Iterator[list[Row]]:
        for i in range(0, len(self.rows), max(1, size)):
            yield self.rows[i : i + size]


def _utc(value: datetime) -> datetime:
    """A Spark TIMESTAMP as PySpark returns it (naive local time) → naive UTC wall time."""
    return value.astimezone(UTC).replace(tzinfo=None)


class FrameResult:
    """The rows of a DataFrame, collected at once when small, streamed page by page when large.

    How a result is read, cheapest first:

    1. Spark's size estimate of the optimized plan is at most ``collect_below`` bytes: one
       ``collect()`` (for scans, filters and aggregates the estimate bounds the result);
    2. otherwise the query runs once with ``LIMIT collect_rows + 1`` and, when at most
       ``collect_rows`` rows come back, that was the whole result. The estimate multiplies
       the sizes of a join's inputs and grows with an aggregate's input, so most joins and
       aggregates over large tables get here even when they return a handful of rows;
    3. only a result with more rows streams with ``toLocalIterator``, running the query again.

    Streaming costs a Spark job and a socket round trip per partition, even for four rows,
    which is why it comes last; a result that gets there also paid for the LIMIT run (cheap
    for a plain scan, which stops early; a second run for a large aggregate).
    ``collect_rows`` defaults to ``collect_below`` / 256 bytes per row.
    """

    def __init__(
        self, df: DataFrame, *, collect_below: int = COLLECT_BELOW_BYTES, collect_rows: int | None = None
    ) -> None:
        from pyspark.sql.types import TimestampType

        self.df = df
        self.collect_below = collect_below
        self.collect_rows = max(0, collect_below // _ROW_BYTES if collect_rows is None else collect_rows)
        schema = df.schema
        self.columns = [ColumnInfo(f.name, from_spark(f.dataType)) for f in schema]
        self._fix = [isinstance(f.dataType, TimestampType) for f in schema]
        self._any_fix = any(self._fix)
        self.streamed = False

    def _estimated_bytes(self) -> int | None:
        try:
            return int(str(self.df._jdf.queryExecution().optimizedPlan().stats().sizeInBytes()))
        except Exception:  # an estimate only
            return None

    def _row(self, row: Any) -> Row:
        values = tuple(row)
        if not self._any_fix:
            return values
        return tuple(_utc(v) if fix and isinstance(v, datetime) else v
                     for v, fix in zip(values, self._fix, strict=True))

    def _small(self) -> list[Any] | None:
        """Every row when the result is small (steps 1 and 2), else ``None``."""
        estimate = self._estimated_bytes()
        if estimate is not None and estimate <= self.collect_below:
            return list(self.df.collect())
        if self.collect_rows <= 0:
            return None
        rows = self.df.limit(self.collect_rows + 1).collect()
        return list(rows) if len(rows) <= self.collect_rows else None

    def pages(self, size: int) -> Iterator[list[Row]]:
        size = max(1, size)
        rows = self._small()
        if rows is not None:
            for i in range(0, len(rows), size):
                yield [self._row(r) for r in rows[i : i + size]]
            return
        self.streamed = True
        page: list[Row] = []
        for row in self.df.toLocalIterator(prefetchPartitions=True):
            page.append(self._row(row))
            if len(page) >= size:
                yield page
                page = []
        if page:
            yield page


# --------------------------------------------------------------------------- values


def plain_value(value: Any) -> Any:
    """Spark Row structs → dicts, recursively."""
    if hasattr(value, "asDict"):
        return {k: plain_value(v) for k, v in value.asDict().items()}
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_value(v) for v in value]
    return value


def json_value(value: Any) -> Any:
    """A JSON-ready value: ISO times, exact decimals as numbers when lossless, base64 bytes."""
    value = plain_value(value)
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(v) for v in value]
    return value


def text_value(value: Any) -> str:
    """A value as text for CSV and tables (NULL → empty, complex values as JSON)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, list | tuple | dict) or hasattr(value, "asDict"):
        return json.dumps(json_value(value), separators=(",", ":"))
    return str(value)
