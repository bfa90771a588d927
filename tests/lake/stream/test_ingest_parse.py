"""Parsing Kinesis records and typing them strictly into bronze columns (with rescue)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from lake.stream.ingest import RESCUED, coerce_objects, infer_type, parse_records
from lake.stream.ingest.bronze import RESERVED
from lake.stream.kinesis import SOURCE_ARROW_SCHEMA

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _source(*records: tuple[str, str, bytes]) -> pa.Table:
    rows = [
        {
            "data": data,
            "stream": "s",
            "shard_id": shard,
            "sequence_number": seq,
            "partition_key": "k",
            "approximate_arrival_timestamp": T0,
            "millis_behind_latest": 0,
        }
        for shard, seq, data in records
    ]
    return pa.Table.from_pylist(rows, schema=SOURCE_ARROW_SCHEMA)


def _coerce(objects: list[dict[str, Any]], existing: pa.Schema | None = None) -> Any:
    return coerce_objects(objects, existing, reserved=RESERVED, event_time_field="event_time")


def test_valid_objects_keep_their_bytes_and_come_in_shard_sequence_order() -> None:
    parsed = parse_records(
        _source(
            ("shard-1", "2", b'{"b":2}'),
            ("shard-0", "10", b'{"a":10}'),
            ("shard-0", "9", b'{"a":9}'),
        )
    )
    assert [r.line for r in parsed.valid] == [b'{"a":9}', b'{"a":10}', b'{"b":2}']
    assert parsed.records_in == 3 and parsed.bytes_in == 22
    assert parsed.valid[0].meta.arrival == T0


def test_multi_line_json_becomes_one_ndjson_line() -> None:
    parsed = parse_records(_source(("s0", "1", b'{\n  "a": 1,\n  "b": [1, 2]\n}\n')))
    assert parsed.valid[0].line == b'{"a":1,"b":[1,2]}'


@pytest.mark.parametrize(
    ("data", "error_type"),
    [
        (b"\xff\xfe\x00garbage", "InvalidEncoding"),
        (b'{"a": 1', "MalformedJson"),
        (b"patient,42,male", "MalformedJson"),
        (b"", "MalformedJson"),
        (b'{"a": NaN}', "MalformedJson"),
        (b"[1, 2]", "NotAJsonObject"),
        (b'"just a string"', "NotAJsonObject"),
    ],
)
def test_records_that_are_not_json_objects_become_errors(data: bytes, error_type: str) -> None:
    parsed = parse_records(_source(("s0", "1", data)))
    assert parsed.valid == []
    (error,) = parsed.errors
    assert (error.error_type, error.data) == (error_type, data)
    assert error.message


def test_inference_picks_the_narrowest_type_of_the_majority() -> None:
    assert infer_type("n", [1, 2, None], "event_time") == pa.int64()
    assert infer_type("x", [1, 2.5], "event_time") == pa.float64()
    assert infer_type("f", [True, False], "event_time") == pa.bool_()
    assert infer_type("s", ["a", {"k": 1}], "event_time") == pa.string()
    assert infer_type("event_time", ["2026-01-01T00:00:00Z"], "event_time") == pa.timestamp(
        "us", tz="UTC"
    )
    assert infer_type("mixed", [1, 2, 3, "x"], "event_time") == pa.int64()
    assert infer_type("tie", [1, "x"], "event_time") == pa.string()
    assert infer_type("empty", [None, None], "event_time") is None


def test_values_that_do_not_fit_their_column_are_rescued_not_dropped() -> None:
    existing = pa.schema(
        [
            ("age", pa.int64()),
            ("bp", pa.float64()),
            ("sex", pa.string()),
            ("ok", pa.bool_()),
            ("event_time", pa.timestamp("us", tz="UTC")),
        ]
    )
    out = _coerce(
        [
            {
                "age": "61 years",
                "bp": 120,
                "sex": "f",
                "ok": True,
                "event_time": "2026-03-01T10:00:00Z",
            },
            {"age": 3.0, "bp": "high", "sex": 1, "ok": "yes", "event_time": "not a time"},
            {"age": 2.5, "bp": 99.5, "sex": None, "ok": 1, "event_time": 1700000000},
            {"age": True},
        ],
        existing,
    )
    assert out.columns["age"] == [None, 3, None, None]
    assert out.columns["bp"] == [120.0, None, 99.5, None]
    assert out.columns["sex"] == ["f", None, None, None]
    assert out.columns["ok"] == [True, None, None, None]
    assert out.columns["event_time"][0] == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert [json.loads(r) if r else None for r in out.rescued] == [
        {"age": "61 years"},
        {"bp": "high", "sex": "1", "ok": "yes", "event_time": "not a time"},
        {"age": "2.5", "ok": "1", "event_time": "1700000000"},
        {"age": "true"},
    ]
    assert out.added == []


def test_new_fields_are_added_in_first_seen_order() -> None:
    existing = pa.schema([("a", pa.int64())])
    out = _coerce([{"a": 1, "spo2": 97}, {"a": 2, "note": {"x": [1]}, "spo2": 95}], existing)
    assert out.added == ["spo2", "note"]
    assert out.schema.names == ["a", "spo2", "note"]
    assert out.columns["note"] == [None, '{"x":[1]}']


def test_all_null_fields_wait_for_a_value() -> None:
    out = _coerce([{"a": 1, "later": None}])
    assert out.schema.names == ["a"] and out.rescued == [None]


def test_names_that_cannot_be_columns_are_rescued() -> None:
    out = _coerce([{"a": 1, "_batch_id": 7, "event_date": "x", RESCUED: "y", "bad name": 2}])
    assert out.schema.names == ["a"]
    assert json.loads(out.rescued[0]) == {
        "_batch_id": "7",
        "event_date": "x",
        RESCUED: "y",
        "bad name": "2",
    }


def test_field_names_match_columns_case_insensitively() -> None:
    out = _coerce([{"Age": 40}, {"age": 41, "AGE": 42}], pa.schema([("age", pa.int64())]))
    assert out.columns["age"] == [40, 41]
    assert out.rescued == [None, '{"AGE":"42"}']
