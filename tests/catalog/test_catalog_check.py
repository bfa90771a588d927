"""``lake catalog check [--prune]``: entries whose data is gone, views that read them."""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pytest
from deltalake import write_deltalake
from typer.testing import CliRunner

from catalog.check import check_catalog
from catalog.delta import register_delta_table
from catalog.model import Table
from catalog.stores.embedded import EmbeddedStore


def _delta(lake: Any, rel: str) -> str:
    uri = lake.resolve(rel)
    write_deltalake(uri, pa.table({"id": [1, 2]}), storage_options=lake.storage_options() or None)
    return str(uri)


def _put(lake: Any, rel: str, body: bytes) -> str:
    fs, uri = lake.filesystem(), lake.resolve(rel)
    if lake.kind == "local":
        fs.create_dir(lake.fs_path(uri).rpartition("/")[0], recursive=True)
    with fs.open_output_stream(lake.fs_path(uri)) as out:
        out.write(body)
    return str(uri)


def _view(db: str, name: str, sql: str, sources: list[str] | None) -> Table:
    params = {"lakeforge.view.sources": json.dumps(sources)} if sources is not None else {}
    return Table.view(db, name, sql, [("id", "bigint")], expanded_sql=sql, parameters=params)


def test_check_reports_what_is_gone_and_prune_removes_only_that(lake: Any, catalog_store: Any) -> None:
    db = f"chk_{uuid.uuid4().hex[:10]}"
    kept = _delta(lake, f"{db}/kept")
    gone = _delta(lake, f"{db}/gone")
    register_delta_table(catalog_store, db, "kept", kept, lake)
    register_delta_table(catalog_store, db, "gone", gone, lake)
    raw_dir = _put(lake, f"{db}/raw_ok/part-0.json", b'{"id": 1}\n').rpartition("/")[0]
    catalog_store.create_table(Table.external(db, "raw_ok", [("id", "bigint")], raw_dir, "json"))
    nothing = lake.resolve(f"{db}/nothing")
    catalog_store.create_table(Table.external(db, "raw_gone", [("id", "bigint")], nothing, "json"))
    catalog_store.create_table(_view(db, "v_gone", f"SELECT id FROM {db}.gone", [f"{db}.gone"]))
    catalog_store.create_table(_view(db, "v_on_v", f"SELECT id FROM {db}.v_gone", [f"{db}.v_gone"]))
    catalog_store.create_table(_view(db, "v_kept", f"SELECT id FROM {db}.kept", None))  # sources parsed from SQL
    catalog_store.create_table(_view(db, "v_absent", f"SELECT id FROM {db}.never_there", None))
    lake.filesystem().delete_dir(lake.fs_path(gone))

    report = check_catalog(catalog_store, lake, databases=[db])  # the glue store is shared by the session
    assert {e.table.split(".")[0] for e in report.entries} == {db}
    status = {e.table.split(".")[1]: e.status for e in report.entries}
    assert status == {"kept": "ok", "gone": "missing", "raw_ok": "ok", "raw_gone": "missing",
                      "v_gone": "broken", "v_on_v": "broken", "v_kept": "ok", "v_absent": "broken"}
    missing = {e.table: e.reason for e in report.with_status("missing")}
    assert missing[f"{db}.gone"] == f"no _delta_log at {gone}"
    assert "not in the catalog" in {e.table: e.reason for e in report.entries}[f"{db}.v_absent"]
    assert catalog_store.table_exists(db, "gone")  # checking alone changes nothing
    assert not report.clean

    pruned = check_catalog(catalog_store, lake, prune=True, databases=[db])
    assert sorted(pruned.pruned) == [f"{db}.gone", f"{db}.raw_gone"]
    assert sorted(t.name for t in catalog_store.list_tables(db)) == [
        "kept", "raw_ok", "v_absent", "v_gone", "v_kept", "v_on_v"]  # views are reported, never removed
    assert pruned.to_json()["broken_views"][0]["status"] == "broken"


def test_locations_the_profile_cannot_reach_are_unchecked_and_never_pruned(local_lake: Any, tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "catalog.db")
    store.create_database("other")
    store.create_table(Table.external("other", "on_s3", [("id", "bigint")], "s3://somewhere/else", "parquet"))
    report = check_catalog(store, local_lake, prune=True)
    (entry,) = report.entries
    assert entry.status == "unchecked" and "s3://" in entry.reason
    assert report.pruned == [] and store.table_exists("other", "on_s3")


def test_an_endpoint_that_does_not_answer_is_unchecked_not_missing(tmp_path: Path) -> None:
    from lake.storage import moto_profile

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    down = moto_profile(f"http://127.0.0.1:{port}", "s3://lake")
    store = EmbeddedStore(tmp_path / "catalog.db")
    store.create_database("bronze")
    store.create_table(Table.external("bronze", "t", [("id", "bigint")], "s3://lake/bronze/t", "json"))
    report = check_catalog(store, down, prune=True)
    assert [e.status for e in report.entries] == ["unchecked"]
    assert store.table_exists("bronze", "t")


def test_cli_check_exits_1_until_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.cli.main import app
    from lake.config import load_settings
    from lake.storage import LocalProfile

    root = tmp_path / "lakehouse"
    monkeypatch.setenv("LAKEFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAKEFORGE_LAKE", str(root))
    lake = LocalProfile(root)
    from catalog.stores import get_catalog

    with get_catalog(load_settings({})) as store:
        register_delta_table(store, "smoke", "events", _delta(lake, "smoke/events"), lake)
    pafs.LocalFileSystem().delete_dir(str(root / "smoke" / "events"))
    runner = CliRunner()
    found = runner.invoke(app, ["catalog", "check", "--json"])
    assert found.exit_code == 1
    data = json.loads(found.stdout)
    assert [e["table"] for e in data["missing"]] == ["smoke.events"] and data["pruned"] == []
    text = runner.invoke(app, ["catalog", "check"]).stdout
    assert "missing   smoke.events (delta): no _delta_log" in text and "--prune" in text
    pruned = runner.invoke(app, ["catalog", "check", "--prune"])
    assert pruned.exit_code == 0, pruned.output
    assert "pruned    smoke.events" in pruned.stdout
    assert runner.invoke(app, ["catalog", "check"]).exit_code == 0
