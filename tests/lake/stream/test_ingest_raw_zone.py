"""The raw zone: gzip NDJSON by event hour, deterministic object names, error prefix."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from lake.storage import LocalProfile
from lake.stream.ingest import parse_records, plan_raw_files, write_raw_files
from lake.stream.kinesis import SOURCE_ARROW_SCHEMA

ARRIVAL = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def _rows(*datas: bytes) -> list[dict[str, Any]]:
    return [
        {
            "data": d,
            "stream": "heart",
            "shard_id": f"shardId-00000000000{i % 2}",
            "sequence_number": str(i + 1),
            "partition_key": f"p{i}",
            "approximate_arrival_timestamp": ARRIVAL,
            "millis_behind_latest": 0,
        }
        for i, d in enumerate(datas)
    ]


def _batch(*datas: bytes, rows: list[dict[str, Any]] | None = None) -> Any:
    rows = rows if rows is not None else _rows(*datas)
    return parse_records(pa.Table.from_pylist(rows, schema=SOURCE_ARROW_SCHEMA))


def _plan(parsed: Any, batch_id: int = 7) -> Any:
    moments = [
        datetime.fromisoformat(r.obj["event_time"].replace("Z", "+00:00")) for r in parsed.valid
    ]
    return plan_raw_files("heart", batch_id, parsed.valid, moments, parsed.errors)


def test_files_go_to_event_hour_partitions_with_deterministic_names() -> None:
    late = (ARRIVAL - timedelta(days=2, hours=3)).isoformat()
    parsed = _batch(
        b'{"id":1,"event_time":"2026-03-01T12:10:00Z"}',
        json.dumps({"id": 2, "event_time": late}).encode(),
        b'{"id":3,"event_time":"2026-03-01T12:59:59Z"}',
        b"not json",
    )
    files = _plan(parsed)
    assert [(f.path, f.records) for f in files] == [
        ("raw/heart/year=2026/month=02/day=27/hour=09/heart-000000000007.json.gz", 1),
        ("raw/heart/year=2026/month=03/day=01/hour=12/heart-000000000007.json.gz", 2),
        ("raw/_errors/heart/year=2026/month=03/day=01/hour=12/heart-000000000007.json.gz", 1),
    ]
    lines = gzip.decompress(files[1].payload).splitlines()
    assert lines == [
        b'{"id":1,"event_time":"2026-03-01T12:10:00Z"}',
        b'{"id":3,"event_time":"2026-03-01T12:59:59Z"}',
    ]


def test_a_replayed_batch_produces_byte_identical_objects() -> None:
    datas = [b'{"id":%d,"event_time":"2026-03-01T12:00:00Z"}' % i for i in range(50)] + [b"{oops"]
    rows = _rows(*datas)
    first = _plan(_batch(rows=rows))
    second = _plan(_batch(rows=list(reversed(rows))))  # the same records, in another order
    assert [(f.path, f.payload) for f in first] == [(f.path, f.payload) for f in second]


def test_error_lines_carry_the_reason_and_original_bytes() -> None:
    files = _plan(_batch(b"\xff\xfebinary", b"[1,2]"))
    (errors,) = files
    lines = [json.loads(line) for line in gzip.decompress(errors.payload).splitlines()]
    assert [(e["errorCode"], base64.b64decode(e["rawData"])) for e in lines] == [
        ("InvalidEncoding", b"\xff\xfebinary"),
        ("NotAJsonObject", b"[1,2]"),
    ]
    assert lines[0]["streamName"] == "heart" and lines[0]["sequenceNumber"] == "1"
    assert lines[0]["shardId"] == "shardId-000000000000"
    assert lines[0]["approximateArrivalTimestamp"] == int(ARRIVAL.timestamp() * 1000)
    assert lines[0]["batchId"] == 7 and lines[0]["errorMessage"]


def test_local_writes_replace_in_place_and_leave_no_temporary_files(tmp_path: Path) -> None:
    profile = LocalProfile(tmp_path / "lake")
    files = _plan(_batch(b'{"id":1,"event_time":"2026-03-01T12:00:00Z"}'))
    write_raw_files(profile, files)
    write_raw_files(profile, files)  # the replay
    written = sorted(
        p.relative_to(profile.root).as_posix() for p in profile.root.rglob("*") if p.is_file()
    )
    assert written == [files[0].path]
    assert (
        gzip.decompress((profile.root / files[0].path).read_bytes())
        == b'{"id":1,"event_time":"2026-03-01T12:00:00Z"}\n'
    )
