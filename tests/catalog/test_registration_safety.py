"""A catalog name is never silently re-pointed: jobs, register-delta, CTAS and the crawler alike."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from typer.testing import CliRunner

from catalog.delta import register_delta_table
from catalog.errors import LocationConflictError
from catalog.model import Table
from catalog.registration import register_job_tables
from catalog.stores import get_catalog
from catalog.stores.embedded import EmbeddedStore
from lake.config import load_settings


def _delta(lake: Any, rel: str, rows: int = 2) -> str:
    uri = lake.resolve(rel)
    write_deltalake(uri, pa.table({"id": list(range(rows))}), storage_options=lake.storage_options() or None)
    return str(uri)


def _db() -> str:
    return f"db_{uuid.uuid4().hex[:10]}"


def test_registering_a_name_at_another_location_is_refused_naming_both(lake: Any, catalog_store: Any) -> None:
    db = _db()
    first, second = _delta(lake, f"{db}/a/events"), _delta(lake, f"{db}/b/events")
    register_delta_table(catalog_store, db, "events", first, lake)
    with pytest.raises(LocationConflictError) as err:
        register_delta_table(catalog_store, db, "events", second, lake)
    assert (err.value.table, err.value.existing, err.value.new) == (f"{db}.events", first, second)
    assert first in str(err.value) and second in str(err.value) and "--replace" in str(err.value)
    assert catalog_store.get_table(db, "events").location == first
    assert len(catalog_store.get_table_versions(db, "events")) == 1


def test_replace_moves_a_name_on_purpose_and_the_same_location_still_updates(lake: Any, tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "catalog.db")
    db = _db()
    first, second = _delta(lake, f"{db}/a/t"), _delta(lake, f"{db}/b/t")
    register_delta_table(store, db, "t", first, lake)
    write_deltalake(first, pa.table({"id": [9]}), mode="append", storage_options=lake.storage_options() or None)
    assert register_delta_table(store, db, "t", first + "/", lake).parameters["delta.version"] == "1"
    moved = register_delta_table(store, db, "t", second, lake, replace=True)
    assert moved.location == second
    assert [v.table.location for v in store.get_table_versions(db, "t")] == [second, first, first]


def test_a_job_registers_nothing_when_one_of_its_tables_would_move(local_lake: Any, tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "catalog.db")
    settings = load_settings({"home": str(tmp_path / "home")})
    _delta(local_lake, "bronze/a")
    _delta(local_lake, "bronze/b")
    elsewhere = _delta(local_lake, "old/b")
    register_delta_table(store, "bronze", "b", elsewhere, local_lake)
    with pytest.raises(LocationConflictError, match="old/b"):
        register_job_tables(settings, local_lake, {"bronze.a": "bronze/a", "bronze.b": "bronze/b"},
                            job="ingest-x", store=store)
    assert not store.table_exists("bronze", "a")
    assert store.get_table("bronze", "b").location == elsewhere


def test_a_job_on_another_lake_cannot_re_point_a_shared_catalogs_table(
    local_lake: Any, moto_lake: Any, tmp_path: Path
) -> None:
    """The issue's case: moto ingest moved the local lake's bronze.heart to s3:// (shared catalog)."""
    settings = load_settings({"home": str(tmp_path / "home"), "catalog.path": str(tmp_path / "shared.db")})
    tables = {"bronze.heart": "bronze/heart"}
    local_uri, moto_uri = _delta(local_lake, "bronze/heart"), _delta(moto_lake, "bronze/heart")
    assert register_job_tables(settings, local_lake, tables, job="ingest-heart") == ["bronze.heart"]
    with pytest.raises(LocationConflictError) as err:
        register_job_tables(settings, moto_lake, tables, job="ingest-heart")
    assert (err.value.existing, err.value.new) == (local_uri, moto_uri)
    with get_catalog(settings, local_lake) as store:
        assert store.get_table("bronze", "heart").location == local_uri
    assert register_job_tables(settings, moto_lake, tables, job="ingest-heart", replace=True) == ["bronze.heart"]
    with get_catalog(settings, moto_lake) as store:
        assert store.get_table("bronze", "heart").location == moto_uri


def test_create_or_replace_table_at_another_location_is_refused_before_writing(
    spark: Any, local_lake: Any, tmp_path: Path
) -> None:
    from catalog.sql import SqlEngine

    store = EmbeddedStore(tmp_path / "catalog.db")
    engine = SqlEngine(spark, store, local_lake, save_results=False, record_history=False)
    db = _db()
    engine.execute(f"CREATE TABLE {db}.t AS SELECT 1 AS id")
    first = store.get_table(db, "t").location
    other = local_lake.resolve("elsewhere/t")
    with pytest.raises(LocationConflictError) as err:
        engine.execute(f"CREATE OR REPLACE TABLE {db}.t LOCATION '{other}' AS SELECT 2 AS id")
    assert (err.value.existing, err.value.new) == (first, other)
    assert "DROP TABLE" in str(err.value)
    assert store.get_table(db, "t").location == first
    assert not Path(other).exists()  # refused before any data was written
    engine.execute(f"CREATE OR REPLACE TABLE {db}.t AS SELECT 3 AS id")  # same location: replaced as before
    assert engine.query(f"SELECT id FROM {db}.t") == [{"id": 3}]


def test_the_crawler_never_re_points_a_table(lake: Any, tmp_path: Path) -> None:
    from catalog.crawler import Crawler, CrawlerDefinition, CrawlerRepository
    from catalog.crawler.policies import norm_location
    from catalog.crawler.tables import suffixed_name

    store = EmbeddedStore(tmp_path / "catalog.db")
    db = _db()
    fs = lake.filesystem()
    data = lake.resolve(f"{db}/data/events")
    if lake.kind == "local":
        fs.create_dir(lake.fs_path(data), recursive=True)
    with fs.open_output_stream(lake.fs_path(data) + "/x.json") as out:
        out.write(b'{"id": 1, "v": "a"}\n')
    # ``events`` belongs to a job elsewhere, so the crawler takes the Glue-style suffixed name,
    # which (unluckily) another table at a third location already holds.
    store.create_database(db)
    store.create_table(Table.external(db, "events", [("id", "bigint")], lake.resolve(f"{db}/job/events"), "parquet"))
    taken = suffixed_name("events", norm_location(data))
    third = lake.resolve(f"{db}/third/place")
    store.create_table(Table.external(db, taken, [("other", "string")], third, "csv"))
    definition = CrawlerRepository(store).put(CrawlerDefinition.create(f"c-{db}", db, [data]))
    with pytest.raises(LocationConflictError) as err:
        Crawler(store, lake, workers=2).run(definition)
    assert (err.value.existing, err.value.new.rstrip("/")) == (third, data)
    assert "crawler never re-points" in str(err.value)
    assert store.get_table(db, taken).location == third
    assert len(store.get_table_versions(db, taken)) == 1
    assert sorted(t.name for t in store.list_tables(db)) == sorted(["events", taken])


def test_register_delta_cli_refuses_a_move_unless_replace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.cli.main import app
    from lake.storage import LocalProfile

    root = tmp_path / "lakehouse"
    monkeypatch.setenv("LAKEFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAKEFORGE_LAKE", str(root))
    lake = LocalProfile(root)
    first, second = _delta(lake, "a/t"), _delta(lake, "b/t")
    runner = CliRunner()
    assert runner.invoke(app, ["catalog", "register-delta", "a/t", "--table", "crm.t"]).exit_code == 0
    refused = runner.invoke(app, ["catalog", "register-delta", "b/t", "--table", "crm.t"])
    assert refused.exit_code == 1
    line = refused.stderr.strip()
    assert "\n" not in line and first in line and second in line and "--replace" in line
    moved = runner.invoke(app, ["catalog", "register-delta", "b/t", "--table", "crm.t", "--replace", "--json"])
    assert moved.exit_code == 0, moved.output
    assert '"Location": "' + second in moved.stdout
