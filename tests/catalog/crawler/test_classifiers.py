"""Classifiers on in-memory samples: verdicts, certainties, explanations, bytes read."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import struct

import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest

from catalog.crawler.classifiers import (
    FILE_CLASSIFIERS,
    UNKNOWN,
    AvroClassifier,
    CsvClassifier,
    JsonClassifier,
    choose,
    detect_header,
)
from catalog.crawler.sampling import HEAD_BYTES, Sampler


class MemoryReader:
    """A RangeReader over in-memory objects that records every read."""

    def __init__(self, objects: dict[str, bytes]):
        self.objects = objects
        self.reads: list[tuple[str, int, int]] = []

    def read(self, uri: str, start: int, length: int) -> bytes:
        self.reads.append((uri, start, length))
        return self.objects[uri][start : start + length]


def classify(data: bytes, name: str = "obj"):  # type: ignore[no-untyped-def]
    reader = MemoryReader({name: data})
    sample = Sampler(reader).sample(name, name, len(data))
    verdict, consulted = choose(sample, FILE_CLASSIFIERS)
    return verdict, consulted, reader


def cols(verdict) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(n, str(t)) for n, t in verdict.columns]


# ---- CSV (Glue's rule)
def test_csv_header_needs_strings_over_typed_data() -> None:
    v, _, _ = classify(b"name,age\nbob,42\nann,7\n")
    assert v.classification == "csv" and v.certainty == 1.0
    assert v.csv.header and cols(v) == [("name", "string"), ("age", "int")]
    assert "data value '42' in column 'age' is int" in v.csv.header_reason


def test_csv_first_row_with_a_number_is_data() -> None:
    v, _, _ = classify(b"bob,42\nann,7\n")
    assert not v.csv.header and cols(v) == [("col0", "string"), ("col1", "int")]
    assert "is int, not a string" in v.csv.header_reason


def test_all_string_csv_is_headerless() -> None:
    v, _, _ = classify(b"name,city\nbob,paris\nann,rome\n")
    assert not v.csv.header and cols(v) == [("col0", "string"), ("col1", "string")]
    assert "not distinguishable from data" in v.csv.header_reason


def test_header_names_must_be_valid_and_unique() -> None:
    assert detect_header([["a", "a"], ["1", "2"]])[0] is False
    assert detect_header([["x" * 150, "a"], ["1", "2"]])[0] is False
    assert detect_header([["a", "x" * 150], ["1", "2"]])[0] is True  # the last may be longer
    assert detect_header([["a", ""], ["1", "2"]])[0] is False
    assert detect_header([["a", "b"], ["1", "x"]])[0] is True


def test_trailing_delimiter_drops_the_empty_last_column() -> None:
    v, _, _ = classify(b"a,b,\n1,2,\n3,4,\n")
    assert cols(v) == [("a", "int"), ("b", "int")]


def test_quoted_delimiters_and_newlines_stay_in_one_field() -> None:
    v, _, _ = classify(b'id,text,n\n1,"a, b\nand c",2\n2,"say ""hi""",3\n')
    assert cols(v) == [("id", "int"), ("text", "string"), ("n", "int")]
    assert v.csv.quoted and v.records == 2


@pytest.mark.parametrize(("delimiter", "shown"), [("\t", "tab"), ("|", "'|'"), (";", "';'"), ("\x01", "\\x01")])
def test_other_delimiters(delimiter: str, shown: str) -> None:
    data = delimiter.join(["id", "v"]) + "\n" + delimiter.join(["1", "2.5"]) + "\n"
    v, _, _ = classify(data.encode())
    assert v.csv.delimiter == delimiter
    assert cols(v) == [("id", "int"), ("v", "double")]
    assert f"delimiter {shown}" in v.explanation


def test_csv_needs_two_columns_and_two_rows() -> None:
    v, consulted, _ = classify(b"just one column\nanother\n")
    assert v.classification == UNKNOWN
    csv_verdict = next(c for c in consulted if c.classifier == "csv")
    assert csv_verdict.certainty == 0.0 and "1 column" in csv_verdict.explanation
    v, _, _ = classify(b"a,b\n")
    assert v.classification == UNKNOWN


def test_ragged_rows_are_not_csv() -> None:
    v, _, _ = classify(b"a,b\n1,2,3\n4\n")
    assert v.classification == UNKNOWN


# ---- JSON
def test_ndjson_nested_types() -> None:
    v, _, _ = classify(b'{"a": 1, "b": {"c": [1, 2.5]}}\n{"a": 3000000000, "d": null}\n')
    assert v.classification == "json" and v.certainty == 1.0
    assert cols(v) == [("a", "bigint"), ("b", "struct<c:array<double>>"), ("d", "string")]
    assert "b.c[]: int + double → double (numeric widening)" in v.widening


@pytest.mark.parametrize(("compress", "name"), [(gzip.compress, "gzip"), (bz2.compress, "bzip2")])
def test_compressed_json(compress, name: str) -> None:  # type: ignore[no-untyped-def]
    v, _, _ = classify(compress(b'{"a": 1}\n{"a": 2}\n'))
    assert v.classification == "json" and v.compression == name and cols(v) == [("a", "int")]


def test_json_with_a_bad_line_stays_json_with_lower_certainty() -> None:
    v, consulted, _ = classify(b'{"a": 1, "b": 2}\n{"a": 2, "b": 3}\n{"a": 3, "b": 4}\noops, x\n')
    assert v.classification == "json" and v.certainty == pytest.approx(0.375)
    assert "first bad line 4" in v.explanation
    csv_verdict = next(c for c in consulted if c.classifier == "csv")
    assert csv_verdict.certainty == 0.0 and "JSON objects" in csv_verdict.explanation


def test_multiline_json_document_is_reported_not_guessed() -> None:
    v, consulted, _ = classify(b'{\n  "a": 1,\n  "b": 2\n}\n')
    assert v.classification == UNKNOWN
    assert "multi-line JSON document" in next(c for c in consulted if c.classifier == "json").explanation


def test_json_reads_at_most_one_mebibyte_and_ignores_the_cut_line() -> None:
    line = json.dumps({"id": 1, "text": "x" * 100}).encode() + b"\n"
    data = line * (3 * HEAD_BYTES // len(line))
    v, _, reader = classify(data)
    assert sum(length for _, _, length in reader.reads) <= HEAD_BYTES
    assert v.classification == "json" and v.certainty == 1.0
    assert v.records == HEAD_BYTES // len(line)
    assert v.exact_records is None  # a sample, not the whole object


def test_first_matching_classifier_with_certainty_one_wins() -> None:
    v, consulted, _ = classify(b'{"a": 1, "b": 2}\n{"a": 2, "b": 3}\n')
    assert v.classifier == "json"
    assert [c.classifier for c in consulted] == ["parquet", "orc", "avro", "json"]  # csv never ran


def test_binary_content_is_unknown() -> None:
    v, consulted, _ = classify(b"\x00\x01\x02binary\xff")
    assert v.classification == UNKNOWN and v.certainty == 0.0
    assert all(c.certainty == 0.0 for c in consulted)


def test_non_utf8_text_is_unknown() -> None:
    v, consulted, _ = classify("name,city\nbob,köln\n".encode("latin-1"))
    assert v.classification == UNKNOWN
    assert "not UTF-8" in next(c for c in consulted if c.classifier == "csv").explanation


# ---- Parquet / ORC footers
def _parquet(table: pa.Table, **kwargs) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    pq.write_table(table, buf, **kwargs)
    return buf.getvalue()


def test_parquet_schema_rows_and_codec_from_the_footer() -> None:
    table = pa.table({"ID": pa.array([1, 2], pa.int8()), "m": pa.array([{"k": 1.5}, None])})
    v, _, _ = classify(_parquet(table, compression="gzip"))
    assert v.classification == "parquet" and v.exact_records == 2 and v.compression == "gzip"
    assert cols(v) == [("id", "tinyint"), ("m", "struct<k:double>")]


def test_large_parquet_reads_only_head_probe_and_footer() -> None:
    n = 400_000
    table = pa.table({"a": pa.array(range(n), pa.int64()), "b": [f"v{i}" for i in range(n)]})
    data = _parquet(table, compression="none")
    assert len(data) > 3 * HEAD_BYTES
    v, _, reader = classify(data)
    assert v.exact_records == n
    assert sum(length for _, _, length in reader.reads) <= 256 * 1024
    assert reader.reads[0][1] == 0 and reader.reads[-1][1] > 3 * HEAD_BYTES - 256 * 1024


def test_orc_schema_from_its_tail() -> None:
    buf = io.BytesIO()
    orc.write_table(pa.table({"i": pa.array([1, 2], pa.int16()), "d": pa.array([0, 1], pa.date32())}), buf)
    v, _, _ = classify(buf.getvalue())
    assert v.classification == "orc" and v.exact_records == 2
    assert cols(v) == [("i", "smallint"), ("d", "date")]


# ---- Avro container header (own decoder; pyarrow has no Avro reader)
def _long(n: int) -> bytes:
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        if z & ~0x7F:
            out.append((z & 0x7F) | 0x80)
            z >>= 7
        else:
            out.append(z)
            return bytes(out)


def _bytes(b: bytes) -> bytes:
    return _long(len(b)) + b


def avro_file(schema: dict, records: list[bytes]) -> bytes:
    sync = b"0123456789abcdef"
    meta = {"avro.schema": json.dumps(schema).encode(), "avro.codec": b"null"}
    header = b"Obj\x01" + _long(len(meta))
    for k, val in meta.items():
        header += _bytes(k.encode()) + _bytes(val)
    header += _long(0) + sync
    body = b"".join(records)
    return header + _long(len(records)) + _long(len(body)) + body + sync


def test_avro_schema_from_the_container_header() -> None:
    schema = {
        "type": "record",
        "name": "Event",
        "fields": [
            {"name": "Id", "type": "long"},
            {"name": "name", "type": "string"},
            {"name": "score", "type": ["null", "double"]},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "when", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "kind", "type": {"type": "enum", "name": "K", "symbols": ["A", "B"]}},
            {"name": "attrs", "type": {"type": "map", "values": "int"}},
        ],
    }

    def record(i: int) -> bytes:
        return (
            _long(i)
            + _bytes(b"n")
            + _long(1)
            + struct.pack("<d", 1.5)
            + _long(1)
            + _bytes(b"t")
            + _long(0)
            + _long(1_700_000_000_000)
            + _long(0)
            + _long(0)
        )

    v, _, _ = classify(avro_file(schema, [record(1), record(2)]))
    assert v.classification == "avro" and v.certainty == 1.0 and v.records == 2
    assert cols(v) == [
        ("id", "bigint"),
        ("name", "string"),
        ("score", "double"),
        ("tags", "array<string>"),
        ("when", "timestamp"),
        ("kind", "string"),
        ("attrs", "map<string,int>"),
    ]


def test_corrupt_avro_header_is_not_guessed() -> None:
    v, consulted, _ = classify(b"Obj\x01\x99")
    assert v.classification == UNKNOWN
    assert "unreadable header" in next(c for c in consulted if c.classifier == "avro").explanation


def test_classifiers_can_be_used_alone() -> None:
    reader = MemoryReader({"x": b"a,b\n1,2\n"})
    sample = Sampler(reader).sample("x", "x", 8)
    assert JsonClassifier().classify(sample).certainty == 0.0
    assert CsvClassifier().classify(sample).certainty == 1.0
    assert AvroClassifier().classify(sample).certainty == 0.0
