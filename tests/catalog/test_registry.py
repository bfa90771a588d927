"""Choosing a catalog store from settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import UnknownStoreError, get_catalog
from catalog.stores.embedded import EmbeddedStore
from catalog.stores.glue import GlueStore
from lake.config import load_settings


def test_embedded_is_the_default_and_lives_in_home(tmp_path: Path) -> None:
    settings = load_settings({"home": str(tmp_path / "home")})
    store = get_catalog(settings)
    assert isinstance(store, EmbeddedStore)
    assert store.path.parent.parent == tmp_path / "home" / "catalogs"  # one per lake (test_catalog_scope.py)
    store.close()


def test_embedded_path_can_be_given(tmp_path: Path) -> None:
    store = get_catalog(load_settings({}), path=tmp_path / "other.db")
    assert isinstance(store, EmbeddedStore) and store.path == tmp_path / "other.db"
    store.close()


def test_glue_store_from_settings(moto_endpoint: str) -> None:
    settings = load_settings(
        {"catalog.store": "glue", "profile": "moto", "profiles.moto.endpoint_url": moto_endpoint}
    )
    store = get_catalog(settings)
    assert isinstance(store, GlueStore)
    assert store.client.meta.endpoint_url == moto_endpoint
    store.list_databases()


def test_unknown_store_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownStoreError, match="valid stores: embedded, glue"):
        get_catalog(load_settings({"catalog.store": "hive"}))
