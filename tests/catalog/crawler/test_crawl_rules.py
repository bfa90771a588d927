"""One fixture lake holding a folder for every crawler rule, crawled once per combination of
storage profile (local, moto) and catalog store (embedded, glue); each test checks one rule
in the resulting catalog."""

from __future__ import annotations

import bz2
import gzip
import uuid
from typing import Any

import pyarrow as pa
import pytest

COMBOS = [("local", "embedded"), ("local", "glue"), ("moto", "embedded"), ("moto", "glue")]

pytestmark = pytest.mark.moto


def _build(w: Any) -> None:
    w.put("csv_header/data.csv", "name,age,city\nbob,42,paris\nann,7,rome\n")
    w.put("csv_noheader/data.csv", "bob,42,paris\nann,7,rome\n")
    w.put("csv_allstring/data.csv", "name,city\nbob,paris\nann,rome\n")
    w.put("csv_quoted/data.csv", 'id,comment\n1,"hello, world"\n2,"line one\nline two"\n3,plain\n')
    w.put("tsv/data.tsv", "id\tscore\n1\t2.5\n2\t3\n")
    w.put("psv/data.psv", "id|day|ok\n1|2024-01-01|true\n2|2024-01-02|false\n")
    w.put("ctrl_a/data", "1\x01x\n2\x01y\n")
    w.put(
        "json_nested/part-0.json",
        '{"id": 1, "user": {"name": "a", "tags": ["x", "y"]}, "scores": [1, 2]}\n'
        '{"id": 2, "user": {"name": "b", "age": 3}, "scores": [2.5]}\n',
    )
    w.put("json_gzip/part-0.json.gz", gzip.compress(b'{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n'))
    w.put("json_bz2/part-0.json.bz2", bz2.compress(b'{"k": true}\n{"k": false}\n'))
    w.put("mixed_types/p=1/a.json", '{"n": 1, "x": 1}\n')
    w.put("mixed_types/p=1/b.json", '{"n": 2.5, "x": 2}\n')
    w.put("mixed_types/p=2/a.json", '{"n": "text", "x": 5000000000}\n')
    w.put("mixed_csv/p=1/a.csv", "n,m\n1,1\n2,2\n")
    w.put("mixed_csv/p=2/a.csv", "n,m\n2.5,3\n3.5,4\n")
    for year, month in (("2023", "12"), ("2024", "01"), ("2024", "02")):
        w.put(f"hive/year={year}/month={month}/part-0.json", f'{{"v": {int(month)}}}\n')
        w.put(f"plain/{year}/{month}/part-0.json", f'{{"v": {int(month)}}}\n')
    pq_table = pa.table({"id": pa.array([1, 2, 3], pa.int32()), "Name": ["a", "b", "c"]})
    w.put_parquet("spark_out/part-00000.snappy.parquet", pq_table)
    w.put_parquet("spark_out/part-00001.snappy.parquet", pq_table.slice(0, 1))
    w.put("spark_out/_SUCCESS", b"")
    w.put("spark_out/.part-00000.snappy.parquet.crc", b"crc")
    w.put("spark_out/_temporary/0/task/part-9.json", '{"leftover": 1}\n')
    w.put("spark_out/_spark_metadata/0", '{"v": 1}\n')
    w.put("spark_out/_checkpoints/offsets/0", '{"v": 1}\n')
    w.put("spark_out/empty.parquet", b"")
    w.put("spark_out/sub_$folder$", b"")
    w.put_parquet("parquet_root/a.parquet", pa.table({"x": [1.5], "when": pa.array([0], pa.timestamp("ms"))}))
    w.put_parquet("parquet_root/b.parquet", pa.table({"x": [2.5, 3.5], "when": pa.array([1, 2], pa.timestamp("ms"))}))
    w.put_orc("orc_root/a.orc", pa.table({"i": pa.array([1, 2], pa.int16()), "s": ["a", "b"]}))
    w.put_delta(
        "delta_tbl",
        pa.table({"id": [1, 2, 3], "p": ["a", "b", "a"], "v": [0.5, 1.5, 2.5]}),
        partition_by=["p"],
    )
    w.put("excluded/a.json", '{"a": 1}\n')
    w.put("keep/a.json", '{"a": 1}\n')
    w.put("keep/b.tmp", "not,json\n1,2\n")
    w.put("similar/a/part.json", '{"id": 1, "name": "x", "v": 1}\n')
    w.put("similar/b/part.json", '{"id": 2, "name": "y", "v": 2, "w": 3}\n')
    w.put("dissimilar/x/part.json", '{"id": 1, "a": 1, "b": 2}\n')
    w.put("dissimilar/y/part.json", '{"id": 1, "c": 1, "d": 2}\n')
    w.put("unknown/blob.bin", b"\x00\x01\x02\x03binary")
    w.put("zero/empty.json", b"")


@pytest.fixture(scope="module", params=COMBOS, ids=[f"{p}-{s}" for p, s in COMBOS])
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, helpers: Any):
    profile_kind, store_kind = request.param
    endpoint = request.getfixturevalue("moto_endpoint")
    tmp = tmp_path_factory.mktemp("rules")
    profile = helpers.make_profile(profile_kind, tmp, endpoint)
    store = helpers.make_store(store_kind, tmp, endpoint)
    writer = helpers.LakeWriter(profile, "rules")
    _build(writer)
    database = f"db_{uuid.uuid4().hex[:10]}"
    result = helpers.crawl(store, profile, [writer.uri()], database, exclusions=["excluded/**", "**.tmp"], explain=True)
    tables = {t.name: t for t in store.list_tables(database)}
    yield {"store": store, "db": database, "result": result, "tables": tables, "writer": writer}
    helpers.close_store(store)


def _cols(table: Any) -> dict[str, str]:
    return {c.name: c.type for c in table.columns}


def test_the_expected_tables_are_created(scenario: dict) -> None:
    assert set(scenario["tables"]) == {
        "csv_header",
        "csv_noheader",
        "csv_allstring",
        "csv_quoted",
        "tsv",
        "psv",
        "ctrl_a",
        "json_nested",
        "json_gzip",
        "json_bz2",
        "mixed_types",
        "mixed_csv",
        "hive",
        "plain",
        "spark_out",
        "parquet_root",
        "orc_root",
        "delta_tbl",
        "keep",
        "similar",
        "x",
        "y",
    }
    m = scenario["result"].metrics
    assert m.tables_created == 22
    assert m.unknown_folders == 1


def test_csv_with_a_header_uses_it(scenario: dict) -> None:
    t = scenario["tables"]["csv_header"]
    assert [(c.name, c.type) for c in t.columns] == [("name", "string"), ("age", "int"), ("city", "string")]
    assert t.parameters["classification"] == "csv"
    assert t.parameters["skip.header.line.count"] == "1"
    assert t.parameters["delimiter"] == ","
    assert t.storage_descriptor.serde_info.parameters["field.delim"] == ","


def test_csv_without_a_header_gets_positional_names(scenario: dict) -> None:
    t = scenario["tables"]["csv_noheader"]
    assert [(c.name, c.type) for c in t.columns] == [("col0", "string"), ("col1", "int"), ("col2", "string")]
    assert "skip.header.line.count" not in t.parameters


def test_all_string_csv_has_no_header(scenario: dict) -> None:
    t = scenario["tables"]["csv_allstring"]
    assert [(c.name, c.type) for c in t.columns] == [("col0", "string"), ("col1", "string")]
    assert "skip.header.line.count" not in t.parameters


def test_quoted_fields_with_delimiters_and_newlines(scenario: dict) -> None:
    t = scenario["tables"]["csv_quoted"]
    assert _cols(t) == {"id": "int", "comment": "string"}
    assert t.parameters["areColumnsQuoted"] == "true"
    serde = t.storage_descriptor.serde_info
    assert serde.serialization_library == "org.apache.hadoop.hive.serde2.OpenCSVSerde"
    assert serde.parameters["separatorChar"] == ","
    assert t.parameters["recordCount"] == "3"


def test_tab_pipe_and_ctrl_a_delimiters(scenario: dict) -> None:
    tables = scenario["tables"]
    assert tables["tsv"].parameters["delimiter"] == "\t"
    assert _cols(tables["tsv"]) == {"id": "int", "score": "double"}
    assert tables["psv"].parameters["delimiter"] == "|"
    assert _cols(tables["psv"]) == {"id": "int", "day": "date", "ok": "boolean"}
    assert tables["ctrl_a"].parameters["delimiter"] == "\x01"
    assert _cols(tables["ctrl_a"]) == {"col0": "int", "col1": "string"}


def test_nested_json_becomes_structs_and_arrays(scenario: dict) -> None:
    t = scenario["tables"]["json_nested"]
    assert _cols(t) == {
        "id": "int",
        "user": "struct<name:string,tags:array<string>,age:int>",
        "scores": "array<double>",
    }
    assert t.storage_descriptor.serde_info.serialization_library == "org.openx.data.jsonserde.JsonSerDe"


def test_compressed_json(scenario: dict) -> None:
    gz = scenario["tables"]["json_gzip"]
    assert _cols(gz) == {"a": "int", "b": "string"}
    assert gz.parameters["compressionType"] == "gzip"
    assert gz.storage_descriptor.compressed is True
    bz = scenario["tables"]["json_bz2"]
    assert _cols(bz) == {"k": "boolean"}
    assert bz.parameters["compressionType"] == "bzip2"


def test_types_widen_across_files_and_partitions_and_partitions_agree(scenario: dict) -> None:
    store, db = scenario["store"], scenario["db"]
    t = scenario["tables"]["mixed_types"]
    assert _cols(t) == {"n": "string", "x": "bigint"}
    parts = store.list_partitions(db, "mixed_types")
    assert [p.values for p in parts] == [("1",), ("2",)]
    for p in parts:
        assert [(c.name, c.type) for c in p.storage_descriptor.columns] == [("n", "string"), ("x", "bigint")]
    csv_parts = store.list_partitions(db, "mixed_csv")
    assert _cols(scenario["tables"]["mixed_csv"]) == {"n": "double", "m": "int"}
    assert {tuple((c.name, c.type) for c in p.storage_descriptor.columns) for p in csv_parts} == {
        (("n", "double"), ("m", "int"))
    }


def test_hive_style_partition_folders_name_the_keys(scenario: dict) -> None:
    t = scenario["tables"]["hive"]
    assert [(k.name, k.type) for k in t.partition_keys] == [("year", "string"), ("month", "string")]
    parts = scenario["store"].list_partitions(scenario["db"], "hive")
    assert sorted(p.values for p in parts) == [("2023", "12"), ("2024", "01"), ("2024", "02")]
    p = next(p for p in parts if p.values == ("2024", "01"))
    assert p.location.rstrip("/").endswith("hive/year=2024/month=01")
    assert p.parameters["objectCount"] == "1"


def test_plain_partition_folders_become_partition_n(scenario: dict) -> None:
    t = scenario["tables"]["plain"]
    assert [k.name for k in t.partition_keys] == ["partition_0", "partition_1"]
    parts = scenario["store"].list_partitions(scenario["db"], "plain")
    assert sorted(p.values for p in parts) == [("2023", "12"), ("2024", "01"), ("2024", "02")]


def test_spark_leftovers_and_zero_byte_objects_are_skipped(scenario: dict) -> None:
    t = scenario["tables"]["spark_out"]
    assert t.parameters["classification"] == "parquet"
    assert t.parameters["objectCount"] == "2"
    assert t.parameters["recordCount"] == "4"
    assert _cols(t) == {"id": "int", "name": "string"}
    assert "zero" not in scenario["tables"]
    listing = "\n".join(scenario["result"].explain.section("listing"))
    for reason in ("_SUCCESS", "_temporary", "_spark_metadata", "_checkpoints", "zero-byte", "$folder$", "hidden"):
        assert reason in listing


def test_exclusion_globs(scenario: dict) -> None:
    assert "excluded" not in scenario["tables"]
    keep = scenario["tables"]["keep"]
    assert keep.parameters["classification"] == "json"
    assert keep.parameters["objectCount"] == "1"


def test_parquet_and_orc_roots_read_their_footers(scenario: dict) -> None:
    t = scenario["tables"]["parquet_root"]
    assert _cols(t) == {"x": "double", "when": "timestamp"}
    assert t.parameters["recordCount"] == "3"
    assert t.parameters["compressionType"] == "snappy"
    o = scenario["tables"]["orc_root"]
    assert _cols(o) == {"i": "smallint", "s": "string"}
    assert o.parameters["classification"] == "orc"


def test_delta_root_is_one_table_from_its_log(scenario: dict) -> None:
    t = scenario["tables"]["delta_tbl"]
    assert t.parameters["classification"] == "delta"
    assert _cols(t) == {"id": "bigint", "v": "double"}
    assert [(k.name, k.type) for k in t.partition_keys] == [("p", "string")]
    assert t.parameters["recordCount"] == "3"
    assert t.parameters["delta.version"] == "0"
    assert not [n for n in scenario["tables"] if n.startswith(("p_", "p="))]


def test_similar_siblings_merge_and_dissimilar_ones_split(scenario: dict) -> None:
    similar = scenario["tables"]["similar"]
    assert [k.name for k in similar.partition_keys] == ["partition_0"]
    assert _cols(similar) == {"id": "int", "name": "string", "v": "int", "w": "int"}
    assert _cols(scenario["tables"]["x"]) == {"id": "int", "a": "int", "b": "int"}
    assert _cols(scenario["tables"]["y"]) == {"id": "int", "c": "int", "d": "int"}
    sims = "\n".join(scenario["result"].explain.section("similarity"))
    assert "similar: ['id', 'name', 'v'] vs ['id', 'name', 'v', 'w'] → 0.75" in sims
    assert "dissimilar: ['a', 'b', 'id'] vs ['c', 'd', 'id'] → 0.20" in sims


def test_unknown_content_is_reported_not_guessed(scenario: dict) -> None:
    result = scenario["result"]
    assert [u.rstrip("/").rpartition("/")[2] for u in result.unknown] == ["unknown"]
    assert "unknown" not in scenario["tables"]
    text = result.explain.render()
    assert "unknown/blob.bin → UNKNOWN" in text


def test_tables_have_glue_shaped_parameters(scenario: dict) -> None:
    t = scenario["tables"]["csv_header"]
    for key in (
        "classification",
        "compressionType",
        "recordCount",
        "averageRecordSize",
        "objectCount",
        "sizeKey",
        "typeOfData",
        "UPDATED_BY_CRAWLER",
    ):
        assert key in t.parameters, key
    assert t.parameters["typeOfData"] == "file"
    assert t.parameters["UPDATED_BY_CRAWLER"] == f"c-{scenario['db']}"
    assert t.parameters["recordCount"] == "2"
    assert t.location.endswith("rules/csv_header/")
