"""Catalog fixtures: every store-backed test runs on both stores.

``catalog_store`` is parametrized over ``embedded`` (a fresh SQLite file) and ``glue``
(the session moto server, with a per-test meta database); ``database`` is a fresh,
already-created database name in it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

STORES = ["embedded", "glue"]


def _make_store(kind: str, tmp_path: Path, moto_endpoint: str | None):  # type: ignore[no-untyped-def]
    if kind == "embedded":
        from catalog.stores.embedded import EmbeddedStore

        return EmbeddedStore(tmp_path / "catalog.db")
    from catalog.stores.glue import GlueStore
    from lake.storage import moto_profile

    assert moto_endpoint is not None
    return GlueStore.from_profile(
        moto_profile(moto_endpoint, "s3://lakeforge-tests"),
        meta_database=f"meta_{uuid.uuid4().hex[:10]}",
    )


@pytest.fixture(params=STORES)
def catalog_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A catalog store: once embedded (SQLite in tmp_path), once glue (moto server)."""
    endpoint = request.getfixturevalue("moto_endpoint") if request.param == "glue" else None
    store = _make_store(request.param, tmp_path, endpoint)
    yield store
    if request.param == "glue" and store.database_exists(store.meta_database):
        store.delete_database(store.meta_database)
    store.close()


@pytest.fixture
def database(catalog_store) -> str:  # type: ignore[no-untyped-def]
    """A unique database, created in ``catalog_store``."""
    name = f"db_{uuid.uuid4().hex[:10]}"
    catalog_store.create_database(name)
    return name
