"""Catalog stores behind one protocol, chosen by ``settings.catalog_store``.

``embedded`` (default): a SQLite file at ``<settings.home>/catalog.db``, persistent and
safe for several processes. ``glue``: the AWS Glue Data Catalog through boto3 (the moto
server locally). Loaders are lazy: boto3 is imported only for ``glue``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.errors import UnknownStoreError
from catalog.stores.base import CRAWL_HISTORY, CRAWLERS, SAVED_QUERIES, CatalogStore, StoreBase

if TYPE_CHECKING:
    from lake.config import Settings
    from lake.storage import StorageProfile

__all__ = [
    "CATALOG_STORES",
    "CRAWLERS",
    "CRAWL_HISTORY",
    "SAVED_QUERIES",
    "CatalogStore",
    "StoreBase",
    "default_catalog_path",
    "get_catalog",
]

CATALOG_FILE_NAME = "catalog.db"


def default_catalog_path(settings: Settings) -> Path:
    """Where the embedded store keeps its SQLite file."""
    return settings.home / CATALOG_FILE_NAME


def _load_embedded(
    settings: Settings, profile: StorageProfile | None, **options: Any
) -> CatalogStore:
    from catalog.stores.embedded import EmbeddedStore

    return EmbeddedStore(options.get("path") or default_catalog_path(settings))


def _load_glue(settings: Settings, profile: StorageProfile | None, **options: Any) -> CatalogStore:
    from catalog.stores.glue import GlueStore

    if profile is None:
        from lake.storage import get_profile

        profile = get_profile(settings)
    return GlueStore.from_profile(profile, meta_database=options.get("meta_database"))


StoreLoader = Callable[..., CatalogStore]
CATALOG_STORES: dict[str, StoreLoader] = {
    "embedded": _load_embedded,
    "glue": _load_glue,
}


def get_catalog(
    settings: Settings,
    profile: StorageProfile | None = None,
    *,
    store: str | None = None,
    **options: Any,
) -> CatalogStore:
    """Open the catalog store ``store`` (default ``settings.catalog_store``).

    ``profile`` supplies boto3 endpoint/credentials for ``glue`` (default: the active
    profile). Options: ``path`` (embedded SQLite file), ``meta_database`` (glue).
    """
    name = (store or settings.catalog_store or "embedded").lower()
    loader = CATALOG_STORES.get(name)
    if loader is None:
        raise UnknownStoreError(name, CATALOG_STORES)
    return loader(settings, profile, **options)
