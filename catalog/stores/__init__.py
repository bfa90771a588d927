"""Catalog stores behind one protocol, chosen by ``settings.catalog_store``.

``embedded`` (default): a SQLite file, one per lake (``<home>/catalogs/<lake slug>/catalog.db``)
unless ``[catalog] path`` shares one (see :mod:`catalog.stores.scope`), persistent and
safe for several processes. ``glue``: the AWS Glue Data Catalog through boto3 (the moto
server locally). Loaders are lazy: boto3 is imported only for ``glue``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.errors import UnknownStoreError
from catalog.stores.base import CRAWL_HISTORY, CRAWLERS, SAVED_QUERIES, CatalogStore, StoreBase
from catalog.stores.scope import CatalogScope, catalog_scope, warn_legacy_once

if TYPE_CHECKING:
    from lake.config import Settings
    from lake.storage import StorageProfile

__all__ = [
    "CATALOG_STORES",
    "CRAWLERS",
    "CRAWL_HISTORY",
    "SAVED_QUERIES",
    "CatalogScope",
    "CatalogStore",
    "StoreBase",
    "catalog_scope",
    "default_catalog_path",
    "get_catalog",
]



def default_catalog_path(settings: Settings, profile: StorageProfile | None = None) -> Path:
    """Where the embedded store keeps its SQLite file for ``profile``'s lake (the active one)."""
    return catalog_scope(settings, profile).path


def _load_embedded(
    settings: Settings, profile: StorageProfile | None, **options: Any
) -> CatalogStore:
    from catalog.stores.embedded import EmbeddedStore

    if options.get("path"):
        return EmbeddedStore(options["path"])
    scope = catalog_scope(settings, profile)
    warn_legacy_once(scope)
    store = EmbeddedStore(scope.path)
    scope.record()
    return store


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

    ``profile`` chooses the lake whose embedded catalog opens and supplies boto3
    endpoint/credentials for ``glue`` (default: the active profile). Options: ``path``
    (embedded SQLite file, overriding the scope), ``meta_database`` (glue).
    """
    name = (store or settings.catalog_store or "embedded").lower()
    loader = CATALOG_STORES.get(name)
    if loader is None:
        raise UnknownStoreError(name, CATALOG_STORES)
    return loader(settings, profile, **options)
