"""The raw stage in ``quality.results``: ingest's malformed records under ``raw/_errors/<stream>/``.

Ingest writes records that are not JSON to gzip NDJSON files, one line per record
(:mod:`lake.stream.ingest.raw_zone`). :func:`count_raw_errors` counts those lines through the
storage profile's filesystem, per file so a caller can count only files it has not seen
(``exclude``); :func:`raw_error_result` turns a count into a ``kind="raw"`` result row for the
bronze table (action ``drop``: the records were set aside, not lost).
"""

from __future__ import annotations

import gzip
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pyarrow.fs as pafs

from lake.errors import InvalidOptionError
from lake.quality.results import QualityResult, RuleAction, RuleKind, status_for
from lake.storage import StorageProfile

__all__ = ["RAW_ERRORS_RULE", "RawErrorCount", "count_raw_errors", "raw_error_result", "raw_errors_prefix"]

RAW_ERRORS_RULE = "malformed_records"


@dataclass(frozen=True)
class RawErrorCount:
    """Malformed records of one stream: the total and the count per file (paths relative to the lake)."""

    stream: str
    records: int
    files: Mapping[str, int] = field(default_factory=dict)


def raw_errors_prefix(stream: str, prefix: str = "raw") -> str:
    """``raw/_errors/<stream>`` (relative to the lake root)."""
    return f"{prefix.strip('/')}/_errors/{stream}"


def count_raw_errors(
    profile: StorageProfile,
    stream: str,
    *,
    prefix: str = "raw",
    exclude: Collection[str] = (),
) -> RawErrorCount:
    """Count the error records ingest wrote for ``stream`` (skipping files listed in ``exclude``)."""
    fs = profile.filesystem()
    base = raw_errors_prefix(stream, prefix)
    root = profile.fs_path(profile.resolve(base))
    infos = fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    paths = sorted(
        info.path for info in infos
        if info.type == pafs.FileType.File and info.path.endswith(".json.gz")
        and not info.path.rsplit("/", 1)[-1].startswith(".")
    )
    relative = {path: base + path[len(root):] for path in paths}
    todo = [p for p in paths if relative[p] not in exclude]
    if not todo:
        return RawErrorCount(stream=stream, records=0)
    with ThreadPoolExecutor(max_workers=min(8, len(todo))) as pool:
        counts = list(pool.map(lambda p: _count_lines(fs, p), todo))
    files = {relative[p]: n for p, n in zip(todo, counts, strict=True)}
    return RawErrorCount(stream=stream, records=sum(counts), files=files)


def raw_error_result(
    run_id: str,
    table: str,
    stream: str,
    malformed: int,
    *,
    evaluated: int | None = None,
    seconds: float = 0.0,
    prefix: str = "raw",
    details: Mapping[str, Any] | None = None,
) -> QualityResult:
    """A ``kind="raw"`` result: ``malformed`` records of ``stream`` set aside before ``table``.

    ``evaluated`` is the number of records ingest received (valid + malformed) when known.
    """
    if malformed < 0 or (evaluated is not None and evaluated < malformed):
        raise InvalidOptionError("malformed", malformed, f"a count ≥ 0 and ≤ evaluated ({evaluated})")
    return QualityResult(
        run_id=run_id,
        table=table,
        rule=RAW_ERRORS_RULE,
        kind=RuleKind.RAW,
        action=RuleAction.DROP,
        evaluated=evaluated,
        failed=malformed,
        status=status_for(RuleAction.DROP, malformed > 0),
        seconds=seconds,
        details={"stream": stream, "errors_prefix": raw_errors_prefix(stream, prefix) + "/", **(details or {})},
    )


def _count_lines(fs: pafs.FileSystem, path: str) -> int:
    with fs.open_input_stream(path, compression=None) as stream:
        payload = stream.read()
    return sum(1 for line in gzip.decompress(payload).splitlines() if line.strip())
