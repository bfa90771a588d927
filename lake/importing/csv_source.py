"""Read a CSV file with pyarrow: RFC 4180 quoting (fields may span lines), a strict encoding,
an optional explicit schema, and ragged rows either refused or set aside — never dropped unseen.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.fs as pafs

from lake.importing.errors import RaggedRowError, SourceReadError
from lake.importing.options import BadRows, CsvOptions
from lake.importing.schema_ddl import parse_schema

__all__ = ["BadRow", "CsvReader"]

_BLOCK = 16 << 20


@dataclass(frozen=True)
class BadRow:
    """A row whose field count differs from the header's; ``line`` is where the row starts (1-based)."""

    line: int
    found: int
    expected: int
    values: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "fields_found": self.found, "fields_expected": self.expected,
                "values": self.values}


@dataclass
class CsvReader:
    """One CSV source: iterate :meth:`batches`, then read :attr:`bad_rows`."""

    fs: pafs.FileSystem
    path: str
    shown: str
    options: CsvOptions
    bad_rows: list[BadRow] = field(default_factory=list)
    _skipped: int = 0

    def batches(self, on_bytes: Callable[[int], None] | None = None) -> Iterator[pa.RecordBatch]:
        """The good rows; ragged rows raise (``BadRows.ERROR``) or land in :attr:`bad_rows`."""
        opts = self.options
        schema = parse_schema(opts.schema) if opts.schema else None
        header = self._header() if opts.header else None
        if schema is not None and header is not None:
            missing = [n for n in schema.names if n not in header]
            if missing:
                raise SourceReadError(self.shown, f"--schema column {missing[0]!r} is not in the header {header}")
        stop_at_first = opts.bad_rows is BadRows.ERROR

        def on_invalid(row: Any) -> str:
            self._skipped += 1
            return "error" if stop_at_first else "skip"

        read = pacsv.ReadOptions(
            encoding=opts.encoding,
            block_size=_BLOCK,
            column_names=None if opts.header else (schema.names if schema is not None else None),
            autogenerate_column_names=not opts.header and schema is None,
        )
        parse = pacsv.ParseOptions(
            delimiter=opts.delimiter, quote_char=opts.quote, escape_char=opts.escape or False,
            double_quote=True, newlines_in_values=True, invalid_row_handler=on_invalid,
        )
        convert = pacsv.ConvertOptions(
            null_values=list(opts.null_values), strings_can_be_null=True,
            column_types=dict(zip(schema.names, schema.types, strict=True)) if schema is not None else None,
            include_columns=schema.names if schema is not None and header is not None else None,
        )
        stream = _Counted(self.fs.open_input_stream(self.path))
        try:
            reader = pacsv.open_csv(pa.PythonFile(stream, mode="r"), read_options=read, parse_options=parse,
                                    convert_options=convert)
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                if on_bytes is not None:
                    on_bytes(stream.consumed)
                yield batch
        except pa.ArrowInvalid as exc:
            first = self._locate_ragged(limit=1) if self._skipped and stop_at_first else []
            if first:
                raise RaggedRowError(self.shown, first[0].line, first[0].found, first[0].expected) from None
            raise SourceReadError(self.shown, _one_line(exc)) from None
        finally:
            stream.close()
        if self._skipped:
            self.bad_rows = self._locate_ragged(limit=None)

    def _text(self) -> io.TextIOWrapper:
        raw = self.fs.open_input_stream(self.path)
        return io.TextIOWrapper(raw, encoding=self.options.encoding, newline="")  # type: ignore[arg-type]

    def _csv(self, text: io.TextIOWrapper) -> Any:
        o = self.options
        return csv.reader(text, delimiter=o.delimiter, quotechar=o.quote, escapechar=o.escape, doublequote=True)

    def _header(self) -> list[str]:
        with self._text() as text:
            for row in self._csv(text):
                if row:
                    return row
        return []

    def _locate_ragged(self, limit: int | None) -> list[BadRow]:
        """Where the ragged rows start (Python's csv module counts physical lines)."""
        found: list[BadRow] = []
        o = self.options
        expected: int | None = None if o.header or not o.schema else len(parse_schema(o.schema))
        with self._text() as text:
            reader = self._csv(text)
            start = 1
            for row in reader:
                line, start = start, reader.line_num + 1
                if not row:
                    continue
                if expected is None:
                    expected = len(row)
                    continue
                if len(row) != expected:
                    found.append(BadRow(line, len(row), expected, row))
                    if limit is not None and len(found) >= limit:
                        break
        return found


class _Counted(io.RawIOBase):
    """A read-only stream that counts the bytes pyarrow has consumed (for progress)."""

    def __init__(self, raw: pa.NativeFile) -> None:
        self._raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size if size >= 0 else None)
        self.consumed += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]
