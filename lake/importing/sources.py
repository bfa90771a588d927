"""Open an import source (a file or a folder of files, local or in the lake) as Arrow batches."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.json as pajson
import pyarrow.parquet as pq

from lake.importing.csv_source import BadRow, CsvReader
from lake.importing.encoding import check_encoding
from lake.importing.errors import EmptySourceError, SourceReadError
from lake.importing.options import CsvOptions, SourceFormat
from lake.storage import StorageProfile

__all__ = ["Source", "open_source"]


@dataclass
class Source:
    """The files of one import source, read in name order as one stream of batches."""

    fs: pafs.FileSystem
    files: list[tuple[str, int]]
    shown: str
    fmt: SourceFormat
    csv: CsvOptions
    bad_rows: list[tuple[str, BadRow]] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.files)

    def check_encoding(self, on_bytes: Callable[[int], None] | None = None) -> None:
        """Decode every text file strictly (CSV in its encoding, JSON as UTF-8) before parsing."""
        if self.fmt is SourceFormat.PARQUET:
            return
        encoding = self.csv.encoding if self.fmt is SourceFormat.CSV else "utf-8"
        done = 0
        for path, size in self.files:
            with self.fs.open_input_stream(path) as stream:
                check_encoding(stream, self._name(path), encoding, _offset(on_bytes, done))
            done += size

    def batches(self, on_bytes: Callable[[int], None] | None = None) -> Iterator[pa.RecordBatch]:
        """Every file's rows; a file whose schema differs from the first file's is an error."""
        first: pa.Schema | None = None
        done = 0
        for path, size in self.files:
            for batch in self._file_batches(path, _offset(on_bytes, done)):
                if first is None:
                    first = batch.schema
                elif not batch.schema.equals(first):
                    raise SourceReadError(
                        self._name(path), f"its columns {batch.schema.names} ({_types(batch.schema)}) differ from "
                        f"the first file's {first.names} ({_types(first)})"
                    )
                yield batch
            done += size
            if on_bytes is not None:
                on_bytes(done)

    def _file_batches(self, path: str, on_bytes: Callable[[int], None] | None) -> Iterator[pa.RecordBatch]:
        shown = self._name(path)
        if self.fmt is SourceFormat.CSV:
            reader = CsvReader(self.fs, path, shown, self.csv)
            yield from reader.batches(on_bytes)
            self.bad_rows.extend((shown, row) for row in reader.bad_rows)
            return
        try:
            with self.fs.open_input_file(path) as handle:
                if self.fmt is SourceFormat.JSON:
                    yield from pajson.open_json(handle)
                else:
                    yield from pq.ParquetFile(handle).iter_batches(batch_size=100_000)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
            if self.fmt is SourceFormat.JSON and isinstance(exc, pa.ArrowInvalid):
                bad = _first_bad_json_line(self.fs, path)
                if bad is not None:
                    raise SourceReadError(shown, f"line {bad[0]} is not a JSON object: {bad[1]} "
                                                 "(JSON sources hold one object per line)") from None
            reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise SourceReadError(shown, f"not valid {self.fmt.value}: {reason}") from None

    def _name(self, path: str) -> str:
        return path if len(self.files) > 1 else self.shown


def open_source(path: str, fmt: SourceFormat, csv: CsvOptions, profile: StorageProfile) -> Source:
    """The files under ``path`` (a local path, or a URI in the profile's storage).

    Errors before anything is read: no such file, an empty (0-byte) file, a folder with no files.
    """
    if "://" in path and not path.startswith("file://"):
        fs, native = profile.filesystem(), profile.fs_path(path)
    else:
        fs, native = pafs.LocalFileSystem(), str(Path(path.removeprefix("file://")).expanduser().resolve())
    info = fs.get_file_info(native)
    if info.type == pafs.FileType.NotFound:
        raise SourceReadError(path, "no such file or directory")
    if info.type == pafs.FileType.File:
        if info.size == 0:
            raise EmptySourceError(path)
        return Source(fs, [(native, int(info.size or 0))], path, fmt, csv)
    listed = fs.get_file_info(pafs.FileSelector(native, recursive=True))
    files = sorted(
        (i.path, int(i.size or 0)) for i in listed
        if i.type == pafs.FileType.File and not _hidden(native, i.path) and (i.size or 0) > 0
    )
    if not files:
        raise SourceReadError(path, "the folder holds no non-empty data files")
    return Source(fs, files, path, fmt, csv)


def _first_bad_json_line(fs: pafs.FileSystem, path: str) -> tuple[int, str] | None:
    """``(line number, what is wrong)`` of the first line that is not a JSON object, if any.

    pyarrow reports a row within a block; Python's decoder gives the line and column.
    """
    with fs.open_input_stream(path) as stream, io.TextIOWrapper(stream, encoding="utf-8") as text:
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                return number, f"{exc.msg} at column {exc.colno}"
            if not isinstance(value, dict):
                return number, f"a JSON {type(value).__name__}, not an object"
    return None


def _offset(on_bytes: Callable[[int], None] | None, base: int) -> Callable[[int], None] | None:
    """``on_bytes`` shifted by the sizes of the files read before this one."""
    if on_bytes is None:
        return None
    report = on_bytes
    return lambda n: report(base + n)


def _hidden(root: str, path: str) -> bool:
    rel = path[len(root):].strip("/")
    return any(part.startswith((".", "_")) for part in rel.split("/"))


def _types(schema: pa.Schema) -> str:
    return ", ".join(str(t) for t in schema.types)
