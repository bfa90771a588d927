"""Where query result rows go, page by page as they come.

CSV, JSON lines (one object per row, column names as keys), Parquet, an in-memory list, and the
Athena-style saved result ``<lake>/_results/<query id>.csv`` with its ``<query id>.csv.metadata``
(JSON: query id, columns and types, row count). The terminal's rich table is the CLI's
(:mod:`infra.cli.rich_sink`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from catalog.sql.results import RESULTS_DIR, ColumnInfo, ResultSet, Row, json_value, plain_value, text_value
from catalog.types import to_arrow

if TYPE_CHECKING:
    from lake.storage import StorageProfile

__all__ = ["CollectSink", "CsvSink", "JsonLinesSink", "ParquetSink", "RowSink", "SavedResultSink", "consume"]


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
            pa.array([plain_value(row[i]) for row in rows], type=field.type)
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
