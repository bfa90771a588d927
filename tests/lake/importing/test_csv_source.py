"""Reading CSV sources with pyarrow: encodings, RFC 4180 quoting, dialect options, ragged rows."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from lake.importing import (
    BadRows,
    CsvOptions,
    EmptySourceError,
    ImportOptionError,
    RaggedRowError,
    SourceEncodingError,
    SourceFormat,
    SourceReadError,
)
from lake.importing.sources import open_source
from lake.storage import LocalProfile


@pytest.fixture
def profile(tmp_path: Path) -> LocalProfile:
    root = tmp_path / "lake"
    root.mkdir()
    return LocalProfile(root)


def _read(path: Path, profile: LocalProfile, **options: object) -> tuple[pa.Table, list]:
    src = open_source(str(path), SourceFormat.CSV, CsvOptions(**options), profile)  # type: ignore[arg-type]
    src.check_encoding()
    table = pa.Table.from_batches(list(src.batches()))
    return table, [row for _, row in src.bad_rows]


def test_latin1_bytes_under_utf8_name_line_and_byte_offset(tmp_path: Path, profile: LocalProfile) -> None:
    path = tmp_path / "cities.csv"
    path.write_bytes("id,city\n1,Berlin\n2,München\n".encode("latin-1"))
    with pytest.raises(SourceEncodingError) as err:
        _read(path, profile)
    assert err.value.line == 3
    assert err.value.offset == len(b"id,city\n1,Berlin\n2,M")
    assert "line 3, byte offset 20: byte 0xfc is not valid utf-8" in str(err.value)
    assert "--encoding" in str(err.value)


def test_encoding_option_keeps_text_intact(tmp_path: Path, profile: LocalProfile) -> None:
    path = tmp_path / "cities.csv"
    path.write_bytes("id,city\n1,München\n2,Malmö\n".encode("latin-1"))
    table, _ = _read(path, profile, encoding="latin-1")
    assert table.column("city").to_pylist() == ["München", "Malmö"]


def test_invalid_byte_in_a_non_utf8_encoding_is_an_error(tmp_path: Path, profile: LocalProfile) -> None:
    path = tmp_path / "win.csv"
    path.write_bytes(b"a,b\n1,x\x81y\n")
    with pytest.raises(SourceEncodingError, match=r"line 2, byte offset 7: byte 0x81 is not valid cp1252"):
        _read(path, profile, encoding="cp1252")


def test_utf16_line_numbers_are_counted_in_characters(tmp_path: Path, profile: LocalProfile) -> None:
    path = tmp_path / "u16.csv"
    data = "a,b\n1,x\n2,y\n".encode("utf-16-le")
    path.write_bytes(data + b"\x00\xdc")  # an unpaired low surrogate on line 4
    with pytest.raises(SourceEncodingError) as err:
        _read(path, profile, encoding="utf-16-le")
    assert err.value.line == 4 and err.value.offset == len(data)


def test_quoted_fields_may_span_lines(tmp_path: Path, profile: LocalProfile) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('id,note\n1,"first line\nsecond line"\n2,"say ""hi"""\n')
    table, bad = _read(path, profile)
    assert table.column("note").to_pylist() == ["first line\nsecond line", 'say "hi"']
    assert bad == []


def test_dialect_options(tmp_path: Path, profile: LocalProfile) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("1;'a;b';NA\n2;'c\\'d';x\n")
    table, _ = _read(path, profile, delimiter=";", quote="'", escape="\\", header=False,
                     null_values=("NA",), schema="id INT, label STRING, extra STRING")
    assert table.schema.types == [pa.int32(), pa.string(), pa.string()]
    assert table.to_pylist() == [{"id": 1, "label": "a;b", "extra": None},
                                 {"id": 2, "label": "c'd", "extra": "x"}]


def test_explicit_schema_with_a_header_selects_and_types_columns(tmp_path: Path, profile: LocalProfile) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id,amount,note\n1,2.50,a\n2,3.25,b\n")
    table, _ = _read(path, profile, schema="amount DECIMAL(10,2), id BIGINT")
    assert table.schema.field("amount").type == pa.decimal128(10, 2)
    assert table.schema.field("id").type == pa.int64()
    with pytest.raises(SourceReadError, match="--schema column 'missing' is not in the header"):
        _read(path, profile, schema="missing INT")


def test_value_that_does_not_fit_the_schema_is_an_error(tmp_path: Path, profile: LocalProfile) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id\n1\nabc\n")
    with pytest.raises(SourceReadError, match="cannot read .*p.csv: .*abc"):
        _read(path, profile, schema="id INT")


def test_ragged_row_is_an_error_naming_the_first_bad_line(tmp_path: Path, profile: LocalProfile) -> None:
    path = tmp_path / "rag.csv"
    path.write_text('a,b,c\n1,"x\ny",3\n4,5\n6,7,8,9\n')
    with pytest.raises(RaggedRowError) as err:
        _read(path, profile)
    assert (err.value.line, err.value.found, err.value.expected) == (4, 2, 3)
    assert "line 4 has 2 fields, expected 3" in str(err.value) and "--bad-rows quarantine" in str(err.value)


def test_ragged_rows_quarantined_are_all_kept_with_their_lines(tmp_path: Path, profile: LocalProfile) -> None:
    path = tmp_path / "rag.csv"
    path.write_text('a,b,c\n1,"x\ny",3\n4,5\n6,7,8\n9,10,11,12\n')
    table, bad = _read(path, profile, bad_rows=BadRows.QUARANTINE)
    assert table.num_rows == 2
    assert [(b.line, b.found, b.values) for b in bad] == [(4, 2, ["4", "5"]), (6, 4, ["9", "10", "11", "12"])]


def test_empty_file_is_refused_before_reading(tmp_path: Path, profile: LocalProfile) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(EmptySourceError, match="is empty \\(0 bytes\\)"):
        open_source(str(path), SourceFormat.CSV, CsvOptions(), profile)


def test_missing_source(tmp_path: Path, profile: LocalProfile) -> None:
    with pytest.raises(SourceReadError, match="no such file or directory"):
        open_source(str(tmp_path / "nope.csv"), SourceFormat.CSV, CsvOptions(), profile)


def test_folder_of_files_is_one_source_and_schemas_must_agree(tmp_path: Path, profile: LocalProfile) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "a.csv").write_text("id,v\n1,x\n")
    (folder / "b.csv").write_text("id,v\n2,y\n")
    (folder / "_SUCCESS").write_text("")
    (folder / ".hidden.csv").write_text("junk\n")
    table, _ = _read(folder, profile)
    assert table.column("id").to_pylist() == [1, 2]
    (folder / "c.csv").write_text("id,w\n3,z\n")
    with pytest.raises(SourceReadError, match="c.csv: its columns \\['id', 'w'\\]"):
        _read(folder, profile)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"encoding": "klingon"}, "--encoding: unknown encoding 'klingon'"),
        ({"delimiter": ";;"}, "--delimiter: expected one character"),
        ({"quote": ""}, "--quote: expected one character"),
        ({"delimiter": '"'}, "--delimiter: '\"' clashes"),
        ({"schema": "id INT name STRING"}, "--schema: cannot parse"),
        ({"schema": "x ARRAY<INT>"}, "--schema: column 'x': type ARRAY<INT> is not supported"),
    ],
)
def test_bad_options_are_named(tmp_path: Path, profile: LocalProfile, options: dict, message: str) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("id\n1\n")
    with pytest.raises(ImportOptionError, match=message.replace("[", "\\[").replace("(", "\\(")):
        _read(path, profile, **options)


def test_format_from_extension() -> None:
    assert SourceFormat.for_path("a/b.ndjson") is SourceFormat.JSON
    assert SourceFormat.for_path("x.CSV") is SourceFormat.CSV
    with pytest.raises(ImportOptionError, match="cannot tell the format of data.bin"):
        SourceFormat.for_path("data.bin")
