"""One embedded catalog per lake by default; ``[catalog] path`` shares one; an old shared file is reported."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from typer.testing import CliRunner

from catalog.model import Table
from catalog.registration import register_job_tables
from catalog.stores import catalog_scope, get_catalog
from catalog.stores.embedded import EmbeddedStore
from lake.config import load_settings

REPO = Path(__file__).resolve().parents[2]


def _delta(lake: Any, rel: str) -> str:
    uri = lake.resolve(rel)
    write_deltalake(uri, pa.table({"id": [1, 2]}), storage_options=lake.storage_options() or None)
    return str(uri)


def test_each_lake_keeps_its_own_registrations(local_lake: Any, moto_lake: Any, tmp_path: Path) -> None:
    """The issue's case: ingest on moto must leave the local lake's bronze.heart alone."""
    settings = load_settings({"home": str(tmp_path / "home")})
    tables = {"bronze.heart": "bronze/heart"}
    local_uri, moto_uri = _delta(local_lake, "bronze/heart"), _delta(moto_lake, "bronze/heart")
    register_job_tables(settings, local_lake, tables, job="ingest-heart")
    register_job_tables(settings, moto_lake, tables, job="ingest-heart")
    with get_catalog(settings, local_lake) as local, get_catalog(settings, moto_lake) as moto:
        assert local.get_table("bronze", "heart").location == local_uri
        assert moto.get_table("bronze", "heart").location == moto_uri
        assert len(local.get_table_versions("bronze", "heart")) == 1
        assert local.path != moto.path
        assert local.path.parent.parent == tmp_path / "home" / "catalogs"
    scope = json.loads((local.path.parent / "scope.json").read_text())
    assert scope["profile"] == "local" and scope["lake"] == str(local_lake.root)


def test_the_active_profiles_catalog_is_found_without_a_running_moto_server(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    local = catalog_scope(load_settings({"home": home}))
    moto = catalog_scope(load_settings({"home": home, "profile": "moto"}))
    other = catalog_scope(load_settings({"home": home, "profile": "moto", "lake": "s3://other/lake"}))
    assert (moto.profile, moto.lake, moto.kind) == ("moto", "s3://lakeforge", "lake")
    assert len({local.path, moto.path, other.path}) == 3
    assert moto.path.parent.name.startswith("moto-lakeforge-")
    assert catalog_scope(load_settings({"home": home, "profile": "moto"})).path == moto.path  # stable


def test_catalog_path_shares_one_file_on_purpose(
    local_lake: Any, moto_lake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEFORGE_CATALOG__PATH", str(tmp_path / "shared.db"))
    settings = load_settings({"home": str(tmp_path / "home")})
    assert catalog_scope(settings, local_lake).kind == "configured"
    with get_catalog(settings, local_lake) as a, get_catalog(settings, moto_lake) as b:
        assert a.path == b.path == tmp_path / "shared.db"


def test_an_old_shared_catalog_is_reported_and_used_only_when_configured(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    legacy = home / "catalog.db"
    with EmbeddedStore(legacy) as old:
        old.create_database("crm")
        old.create_table(Table.external("crm", "people", [("id", "bigint")], "/data/people", "parquet"))
    settings = load_settings({"home": str(home)})
    scope = catalog_scope(settings)
    assert scope.legacy_path == legacy and scope.path != legacy
    assert scope.notice is not None and "\n" not in scope.notice
    assert str(legacy) in scope.notice and "[catalog] path" in scope.notice
    with caplog.at_level(logging.WARNING, logger="catalog.stores.scope"):
        get_catalog(settings).close()
        get_catalog(settings).close()
    assert [r.getMessage() for r in caplog.records] == [scope.notice]  # once per process
    shared = load_settings({"home": str(home), "catalog.path": str(legacy)})
    assert catalog_scope(shared).legacy_path is None
    with get_catalog(shared) as store:
        assert store.get_table("crm", "people").location == "/data/people"


def test_status_shows_the_project_and_the_lakes_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.cli.main import app

    monkeypatch.setenv("LAKEFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAKEFORGE_PROJECT_DIR", str(tmp_path))
    EmbeddedStore(tmp_path / "home" / "catalog.db").close()
    expected = catalog_scope(load_settings({}))
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["catalog"]["path"] == str(expected.path)
    assert report["catalog"]["scope"] == "lake" and report["catalog"]["lake"] == str(tmp_path / "lakehouse")
    assert report["catalog"]["legacy_catalog"] == str(tmp_path / "home" / "catalog.db")
    assert report["project"] == {"dir": str(tmp_path), "found_by": "LAKEFORGE_PROJECT_DIR",
                                 "home": str(tmp_path / "home")}
    text = CliRunner().invoke(app, ["status"]).stdout
    assert f"catalog  embedded, this lake's own: {expected.path}" in text
    assert "notice: the old shared catalog" in text
