"""``import_file``: read a CSV/JSON/Parquet source fully and check it, then write one Delta commit.

The source is decoded and parsed with pyarrow before Spark starts, so a bad file is reported
(file, line, byte offset) without a JVM and without touching the table. Good rows are staged as
Parquet in the lake, written through the Delta table store in one commit, and the staging folder
is removed. Ragged CSV rows are refused, or with ``BadRows.QUARANTINE`` written to a JSON-lines
quarantine file whose location and count are reported.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lake.importing.errors import SourceReadError
from lake.importing.options import CsvOptions, SourceFormat
from lake.importing.sources import open_source
from lake.importing.staging import staged
from lake.storage import StorageProfile
from lake.storage import uris as _uris
from lake.storage.translate import check_location, storage_errors

if TYPE_CHECKING:

    from lake.delta import DeltaTableStore

__all__ = ["ImportProgress", "ImportResult", "import_file"]


@dataclass(frozen=True)
class ImportProgress:
    """Where an import is: ``phase`` is ``decode``, ``parse`` or ``write``."""

    phase: str
    rows: int
    bytes: int
    total_bytes: int
    elapsed: float


@dataclass(frozen=True)
class ImportResult:
    """What an import committed and what it set aside."""

    table: str
    version: int | None
    rows: int
    bytes: int
    files_added: int
    bad_rows: int
    quarantine: str | None
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def import_file(
    source: str,
    table: str,
    *,
    profile: StorageProfile,
    store: Callable[[], DeltaTableStore],
    fmt: SourceFormat | None = None,
    csv: CsvOptions | None = None,
    mode: str = "append",
    partition_by: Sequence[str] | None = None,
    schema_mode: str | None = None,
    write_options: dict[str, Any] | None = None,
    quarantine_uri: str | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportResult:
    """Import ``source`` into the Delta table at ``table`` (a URI) in one commit.

    ``store`` is called only once the source has been read and checked (it starts Spark).
    """
    started = time.monotonic()
    fmt = fmt or SourceFormat.for_path(source)
    options = csv or CsvOptions()
    src = open_source(source, fmt, options, profile)
    check_location(profile, table)  # a missing bucket or a file in the way: said before reading the source
    total = src.total_bytes
    rows = 0

    def report(phase: str, done: int) -> None:
        if progress is not None:
            progress(ImportProgress(phase, rows, done, total, time.monotonic() - started))

    src.check_encoding(lambda n: report("decode", n))
    with staged(profile, "import") as staging:

        def counted(batches: Any) -> Any:
            nonlocal rows
            for batch in batches:
                rows += batch.num_rows
                yield batch

        staging.write(counted(src.batches(lambda n: report("parse", n))))
        bad = [row for _, row in src.bad_rows]
        quarantine = _quarantine(profile, table, source, src.bad_rows, quarantine_uri) if bad else None
        if rows == 0:
            extra = f"; {len(bad)} ragged rows were written to {quarantine}" if bad else ""
            raise SourceReadError(source, f"no data rows to import{extra}")
        report("write", total)
        delta = store()
        df = delta.spark.read.parquet(profile.to_spark_uri(staging.uri))
        written = delta.write(
            df, table, mode=mode, partition_by=list(partition_by) if partition_by else None,  # type: ignore[arg-type]
            schema_mode=schema_mode,  # type: ignore[arg-type]
            commit_metadata={"lakeforge.source": source, "lakeforge.quarantined": str(len(bad))},
            **(write_options or {}),
        )
    return ImportResult(
        table=written.table, version=written.version, rows=written.rows, bytes=total,
        files_added=written.files_added, bad_rows=len(bad), quarantine=quarantine,
        seconds=round(time.monotonic() - started, 3),
    )


def _quarantine(profile: StorageProfile, table: str, source: str, bad: Sequence[tuple[str, Any]],
                uri: str | None) -> str:
    """Write the ragged rows as JSON lines (file, line, field counts, values); return the URI."""
    if uri is None:
        leaf = table.rstrip("/").rsplit("/", 1)[-1]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        uri = _uris.join(profile.lake_uri, "_quarantine", "import", leaf, f"{stamp}.jsonl")
    fs, path = profile.filesystem(), profile.fs_path(uri)
    with storage_errors(profile, uri.rsplit("/", 1)[0]):
        fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        with fs.open_output_stream(path) as out:
            for file, row in bad:
                out.write((json.dumps({"source": source, "file": file, **row.to_json()}) + "\n").encode())
    return uri
