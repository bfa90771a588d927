"""Query results: column descriptions, page-by-page reading, and the sinks rows go to.

A :class:`FrameResult` reads a Spark DataFrame page by page: results whose planned size is
small are collected in one round trip, larger ones stream with ``toLocalIterator`` so the
driver never holds them whole. Sinks write pages as they come: CSV, JSON lines (one object
per row, column names as keys), Parquet, a rich table for terminals, an in-memory list, and
the Athena-style saved result ``<lake>/_results/<query id>.csv`` with its
``<query id>.csv.metadata`` (JSON: query id, columns and types, row count).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from catalog.types import from_spark, to_arrow

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from rich.console import Console

    from lake.storage import StorageProfile

__all__ = [
    "FORMATS",
    "RESULTS_DIR",
    "CollectSink",
    "ColumnInfo",
    "CsvSink",
    "FrameResult",
    "JsonLinesSink",
    "ParquetSink",
    "ResultSet",
    "RichTableSink",
    "RowSink",
    "RowsResult",
    "SavedResultSink",
    "consume",
    "json_value",
    "text_value",
]

FORMATS = ("table", "csv", "json", "parquet")
RESULTS_DIR = "_results"
COLLECT_BELOW_BYTES = 32 * 1024 * 1024


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
    """The rows of a DataFrame, collected at once when small, streamed page by page when large."""

    def __init__(self, df: DataFrame, *, collect_below: int = COLLECT_BELOW_BYTES) -> None:
        from pyspark.sql.types import TimestampType

        self.df = df
        self.collect_below = collect_below
        self.columns = [ColumnInfo(f.name, from_spark(f.dataType)) for f in df.schema]
        self._fix = [isinstance(f.dataType, TimestampType) for f in df.schema]
        self.streamed = False

    def _estimated_bytes(self) -> int | None:
        try:
            return int(str(self.df._jdf.queryExecution().optimizedPlan().stats().sizeInBytes()))
        except Exception:  # an estimate only
            return None

    def _row(self, row: Any) -> Row:
        values = tuple(row)
        if not any(self._fix):
            return values
        return tuple(_utc(v) if fix and isinstance(v, datetime) else v
                     for v, fix in zip(values, self._fix, strict=True))

    def pages(self, size: int) -> Iterator[list[Row]]:
        size = max(1, size)
        estimate = self._estimated_bytes()
        if estimate is not None and estimate <= self.collect_below:
            rows = self.df.collect()
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


def _plain(value: Any) -> Any:
    """Spark Row structs → dicts, recursively."""
    if hasattr(value, "asDict"):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def json_value(value: Any) -> Any:
    """A JSON-ready value: ISO times, exact decimals as numbers when lossless, base64 bytes."""
    value = _plain(value)
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


# --------------------------------------------------------------------------- sinks


class RowSink(Protocol):
    """Where result rows go: ``open`` with the columns, ``write`` pages, ``close`` at the end."""

    def open(self, columns: list[ColumnInfo]) -> None: ...

    def write(self, rows: Sequence[Row]) -> None: ...

    def close(self) -> None: ...


class CsvSink:
    """RFC 4180 CSV with a header line."""

    def __init__(self, stream: TextIO, *, header: bool = True) -> None:
        self.stream = stream
        self.header = header
        self._writer = csv.writer(stream, lineterminator="\n")

    def open(self, columns: list[ColumnInfo]) -> None:
        if self.header:
            self._writer.writerow([c.name for c in columns])

    def write(self, rows: Sequence[Row]) -> None:
        self._writer.writerows([[text_value(v) for v in row] for row in rows])

    def close(self) -> None:
        self.stream.flush()


class JsonLinesSink:
    """One JSON object per row, column names as keys."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._names: list[str] = []

    def open(self, columns: list[ColumnInfo]) -> None:
        self._names = [c.name for c in columns]

    def write(self, rows: Sequence[Row]) -> None:
        for row in rows:
            obj = {name: json_value(v) for name, v in zip(self._names, row, strict=True)}
            self.stream.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        self.stream.flush()


class ParquetSink:
    """A Parquet file written row group by row group (one per page)."""

    def __init__(self, where: str | Any) -> None:
        self.where = where
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def open(self, columns: list[ColumnInfo]) -> None:
        self._schema = pa.schema([pa.field(c.name, to_arrow(c.type)) for c in columns])
        self._writer = pq.ParquetWriter(self.where, self._schema)

    def write(self, rows: Sequence[Row]) -> None:
        assert self._writer is not None and self._schema is not None
        if not rows:
            return
        arrays = [
            pa.array([_plain(row[i]) for row in rows], type=field.type)
            for i, field in enumerate(self._schema)
        ]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


class CollectSink:
    """Keeps up to ``limit`` rows in memory (``None``: all of them)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self.columns: list[ColumnInfo] = []
        self.rows: list[Row] = []

    def open(self, columns: list[ColumnInfo]) -> None:
        self.columns = list(columns)

    def write(self, rows: Sequence[Row]) -> None:
        room = len(rows) if self.limit is None else max(0, self.limit - len(self.rows))
        self.rows.extend(rows[:room])

    def close(self) -> None:
        return None

    def dicts(self) -> list[dict[str, Any]]:
        names = [c.name for c in self.columns]
        return [dict(zip(names, row, strict=True)) for row in self.rows]


class RichTableSink:
    """A rich table of the first ``max_rows`` rows, printed when the result is complete."""

    def __init__(self, console: Console, *, max_rows: int = 1000, title: str | None = None) -> None:
        self.console = console
        self.max_rows = max_rows
        self.title = title
        self.columns: list[ColumnInfo] = []
        self.rows: list[Row] = []
        self.total = 0

    def open(self, columns: list[ColumnInfo]) -> None:
        self.columns = list(columns)

    def write(self, rows: Sequence[Row]) -> None:
        self.total += len(rows)
        room = max(0, self.max_rows - len(self.rows))
        self.rows.extend(rows[:room])

    def close(self) -> None:
        from rich.table import Table

        if not self.columns:
            return
        grid = Table(title=self.title, show_lines=False)
        for c in self.columns:
            numeric = c.type.split("(")[0] in ("tinyint", "smallint", "int", "bigint", "float", "double", "decimal")
            grid.add_column(f"{c.name}\n[dim]{c.type}[/dim]", justify="right" if numeric else "left",
                            overflow="fold")
        for row in self.rows:
            grid.add_row(*[text_value(v) for v in row])
        self.console.print(grid)
        if self.total > len(self.rows):
            self.console.print(f"[dim](showing the first {len(self.rows):,} of {self.total:,} rows; "
                               "use --format csv|json|parquet --output PATH for all)[/dim]")


class SavedResultSink:
    """Athena-style saved result: ``<lake>/_results/<id>.csv`` and ``<id>.csv.metadata``."""

    def __init__(self, profile: StorageProfile, query_id: str, *, directory: str = RESULTS_DIR) -> None:
        self.profile = profile
        self.query_id = query_id
        self.location = profile.resolve(f"{directory}/{query_id}.csv")
        self.metadata_location = f"{self.location}.metadata"
        self.columns: list[ColumnInfo] = []
        self.rows = 0
        self._raw: Any = None
        self._text: io.TextIOWrapper | None = None
        self._csv: CsvSink | None = None

    def _open_stream(self, location: str) -> Any:
        fs = self.profile.filesystem()
        path = self.profile.fs_path(location)
        parent = path.rsplit("/", 1)[0]
        if not location.startswith("s3://"):
            fs.create_dir(parent, recursive=True)
        return fs.open_output_stream(path)

    def open(self, columns: list[ColumnInfo]) -> None:
        self.columns = list(columns)
        self._raw = self._open_stream(self.location)
        self._text = io.TextIOWrapper(self._raw, encoding="utf-8", newline="")
        self._csv = CsvSink(self._text)
        self._csv.open(columns)

    def write(self, rows: Sequence[Row]) -> None:
        assert self._csv is not None
        self._csv.write(rows)
        self.rows += len(rows)

    def close(self) -> None:
        if self._text is not None:
            self._text.close()  # closes the underlying stream (uploads on S3)
        meta = {
            "query_id": self.query_id,
            "columns": [c.to_json() for c in self.columns],
            "rows": self.rows,
            "format": "csv",
            "header": True,
            "created_at": datetime.now(UTC).isoformat(),
        }
        with self._open_stream(self.metadata_location) as out:
            out.write(json.dumps(meta, indent=2).encode())

    def abort(self) -> None:
        """Drop a partly written result (the statement failed while rows were streaming)."""
        if self._text is not None:
            with contextlib.suppress(Exception):
                self._text.close()
            with contextlib.suppress(Exception):
                self.profile.filesystem().delete_file(self.profile.fs_path(self.location))


def consume(result: ResultSet, sinks: Sequence[RowSink], *, page_size: int = 10_000,
            on_page: Callable[[int], None] | None = None) -> int:
    """Read ``result`` once, page by page, into every sink; returns the number of rows."""
    rows = 0
    try:
        for sink in sinks:
            sink.open(result.columns)
        for page in result.pages(page_size):
            rows += len(page)
            for sink in sinks:
                sink.write(page)
            if on_page is not None:
                on_page(rows)
    except BaseException:
        for sink in sinks:
            abort = getattr(sink, "abort", None)
            if abort is not None:
                abort()
        raise
    for sink in sinks:
        sink.close()
    return rows
