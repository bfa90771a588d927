"""The demo's lake: created when missing; a catalog that outlived its (empty) lake is pruned, a live one kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

from catalog import register_delta_table
from catalog.stores import get_catalog
from infra.demo.lake_setup import lake_is_empty, prepare_lake
from lake.config import load_settings
from lake.storage import get_profile


def _settings(tmp_path: Path, endpoint: str):  # type: ignore[no-untyped-def]
    """A local lake whose stream services are the session's moto server (so no server is started here)."""
    return load_settings({"profile": "local", "lake": str(tmp_path / "lake"), "home": str(tmp_path / "home"),
                          "profiles.local.endpoint_url": endpoint}, project_dir=tmp_path)


def _register(settings, name: str) -> None:  # type: ignore[no-untyped-def]
    profile = get_profile(settings)
    uri = profile.resolve(f"bronze/{name}")
    write_deltalake(uri, pa.table({"id": [1, 2]}))
    store = get_catalog(settings, profile)
    try:
        register_delta_table(store, "bronze", name, uri, profile)
    finally:
        store.close()


def _tables(settings) -> list[str]:  # type: ignore[no-untyped-def]
    store = get_catalog(settings, get_profile(settings))
    try:
        return [t.qualified_name for t in store.list_tables("bronze")]
    finally:
        store.close()


def test_a_missing_lake_is_created_and_reported_empty(tmp_path: Path, moto_endpoint: str) -> None:
    setup = prepare_lake(_settings(tmp_path, moto_endpoint))
    assert (tmp_path / "lake").is_dir() and setup.was_empty and not setup.started_moto and setup.pruned == ()


def test_entries_of_an_emptied_lake_are_pruned(tmp_path: Path, moto_endpoint: str) -> None:
    settings = _settings(tmp_path, moto_endpoint)
    (tmp_path / "lake").mkdir()
    _register(settings, "heart")
    shutil.rmtree(tmp_path / "lake")  # what a restarted moto server looks like: the data is gone
    setup = prepare_lake(settings)
    assert setup.was_empty and setup.pruned == ("bronze.heart",)
    assert _tables(settings) == []


def test_a_lake_with_data_keeps_its_catalog(tmp_path: Path, moto_endpoint: str) -> None:
    settings = _settings(tmp_path, moto_endpoint)
    (tmp_path / "lake").mkdir()
    _register(settings, "heart")
    setup = prepare_lake(settings)
    assert not setup.was_empty and setup.pruned == ()
    assert _tables(settings) == ["bronze.heart"]
    assert not lake_is_empty(get_profile(settings))
