"""``lake catalog …`` commands and their ``--json`` shapes, on both stores."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from typer.testing import CliRunner

from catalog import Column, Partition, Table, get_catalog
from catalog.formats import storage_descriptor
from lake.config import load_settings


@pytest.fixture(params=["embedded", "glue"])
def cli_store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Environment for the CLI (home in tmp_path) and the same store, opened directly."""
    monkeypatch.setenv("LAKEFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAKEFORGE_LAKE", str(tmp_path / "lakehouse"))
    monkeypatch.setenv("LAKEFORGE_CATALOG__STORE", request.param)
    if request.param == "glue":
        endpoint = request.getfixturevalue("moto_endpoint")
        monkeypatch.setenv("LAKEFORGE_PROFILES__LOCAL__ENDPOINT_URL", endpoint)
    store = get_catalog(load_settings({}))
    yield store
    store.close()


def _lake(*args: str) -> tuple[int, str]:
    from infra.cli.main import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _seed(store, db: str) -> Table:  # type: ignore[no-untyped-def]
    store.create_database(db, exist_ok=True)
    table = Table.external(
        db,
        "vitals",
        [("id", "bigint"), ("hr", "int")],
        f"s3://lake/{db}/vitals",
        partition_keys=[("year", "string")],
        parameters={"recordCount": 3},
    )
    stored = store.create_table(table)
    store.batch_create_partitions(
        db,
        "vitals",
        [
            Partition(
                (y,),
                storage_descriptor=storage_descriptor(
                    "parquet", table.columns, f"{table.location}/year={y}"
                ),
            )
            for y in ("2023", "2024")
        ],
    )
    return stored


def _db() -> str:
    return f"cli_{uuid.uuid4().hex[:8]}"


def test_show_json_prints_the_glue_table_shape(cli_store) -> None:  # type: ignore[no-untyped-def]
    db = _db()
    _seed(cli_store, db)
    code, out = _lake("catalog", "show", f"{db}.vitals", "--json")
    assert code == 0, out
    glue = json.loads(out)
    assert glue["Name"] == "vitals" and glue["DatabaseName"] == db
    assert glue["StorageDescriptor"]["Columns"] == [
        {"Name": "id", "Type": "bigint"},
        {"Name": "hr", "Type": "int"},
    ]
    assert glue["StorageDescriptor"]["Location"] == f"s3://lake/{db}/vitals"
    assert glue["PartitionKeys"] == [{"Name": "year", "Type": "string"}]
    assert glue["TableType"] == "EXTERNAL_TABLE"
    assert glue["Parameters"]["classification"] == "parquet"
    assert glue["Parameters"]["recordCount"] == "3"


def test_databases_and_tables_json(cli_store) -> None:  # type: ignore[no-untyped-def]
    db = _db()
    _seed(cli_store, db)
    code, out = _lake("catalog", "databases", "--json")
    assert code == 0, out
    assert db in [d["Name"] for d in json.loads(out)]
    code, out = _lake("catalog", "tables", db, "--json")
    assert code == 0, out
    assert [t["Name"] for t in json.loads(out)] == ["vitals"]


def test_partitions_json_and_filter(cli_store) -> None:  # type: ignore[no-untyped-def]
    db = _db()
    _seed(cli_store, db)
    code, out = _lake("catalog", "partitions", f"{db}.vitals", "--json")
    assert code == 0, out
    parts = json.loads(out)
    assert [p["Values"] for p in parts] == [["2023"], ["2024"]]
    assert parts[0]["StorageDescriptor"]["Location"] == f"s3://lake/{db}/vitals/year=2023"
    code, out = _lake(
        "catalog", "partitions", f"{db}.vitals", "--filter", "year > '2023'", "--json"
    )
    assert [p["Values"] for p in json.loads(out)] == [["2024"]]


def test_versions_and_diff(cli_store) -> None:  # type: ignore[no-untyped-def]
    db = _db()
    v0 = _seed(cli_store, db)
    wider = v0.storage_descriptor.with_columns(
        [Column("id", "bigint"), Column("hr", "bigint"), Column("spo2", "double")]
    )
    v1 = cli_store.update_table(
        replace(v0, storage_descriptor=wider).with_parameters(recordCount=9)
    )
    code, out = _lake("catalog", "versions", f"{db}.vitals", "--json")
    assert code == 0, out
    assert [v["VersionId"] for v in json.loads(out)] == [v1.version_id, v0.version_id]
    code, out = _lake("catalog", "diff", f"{db}.vitals", v0.version_id, v1.version_id, "--json")
    assert code == 0, out
    diff = json.loads(out)
    assert [c["Name"] for c in diff["columns_added"]] == ["spo2"]
    assert diff["types_changed"] == [{"Name": "hr", "old": "int", "new": "bigint"}]
    assert diff["parameters_changed"] == {"recordCount": {"old": "3", "new": "9"}}
    code, out = _lake("catalog", "diff", f"{db}.vitals", v0.version_id, v1.version_id)
    assert code == 0 and "+ column spo2 double" in out and "~ column hr: int → bigint" in out
    code, out = _lake("catalog", "show", f"{db}.vitals", "--version", v0.version_id, "--json")
    assert [c["Name"] for c in json.loads(out)["StorageDescriptor"]["Columns"]] == ["id", "hr"]


def test_human_output(cli_store) -> None:  # type: ignore[no-untyped-def]
    db = _db()
    _seed(cli_store, db)
    code, out = _lake("catalog", "show", f"{db}.vitals")
    assert code == 0 and "vitals" in out and "partition key" in out and "recordCount" in out
    code, out = _lake("catalog", "tables", db)
    assert code == 0 and "vitals" in out


def test_missing_table_is_a_one_line_error_with_suggestion(cli_store) -> None:  # type: ignore[no-untyped-def]
    db = _db()
    _seed(cli_store, db)
    code, out = _lake("catalog", "show", f"{db}.vital")
    assert code == 1
    assert f"did you mean '{db}.vitals'" in out
    code, out = _lake("catalog", "show", "not-a-name")
    assert code == 1 and "expected DATABASE.TABLE" in out


def test_register_delta_command(cli_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    uri = tmp_path / "lakehouse" / "bronze" / "heart"
    write_deltalake(str(uri), pa.table({"id": [1, 2], "day": ["a", "b"]}), partition_by=["day"])
    db = _db()
    code, out = _lake(
        "catalog", "register-delta", "bronze/heart", "--table", f"{db}.heart", "--json"
    )
    assert code == 0, out
    glue = json.loads(out)
    assert glue["StorageDescriptor"]["Location"] == str(uri)
    assert glue["PartitionKeys"] == [{"Name": "day", "Type": "string"}]
    assert glue["Parameters"]["classification"] == "delta"
    assert cli_store.get_table(db, "heart").parameters["delta.version"] == "0"


def test_catalog_option_overrides_the_setting(cli_store, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LAKEFORGE_CATALOG__STORE", "embedded")
    code, out = _lake("catalog", "databases", "--catalog", "nope")
    assert code == 1 and "valid stores: embedded, glue" in out
