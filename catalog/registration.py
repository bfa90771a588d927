"""Jobs register the Delta tables they write: one call per job run.

Registration never re-points a name: a table already registered at another location is a
:class:`~catalog.errors.LocationConflictError` naming both (``replace=True`` moves it on
purpose). Every name is checked before the first one is written, so a job never leaves half
of its tables registered.
"""

from __future__ import annotations

from collections.abc import Mapping

from deltalake import DeltaTable

from catalog.delta import register_delta_table
from catalog.locations import check_location
from catalog.stores import get_catalog
from catalog.stores.base import CatalogStore
from lake.config import Settings
from lake.storage import StorageProfile

__all__ = ["check_job_tables", "register_job_tables"]


def check_job_tables(store: CatalogStore, profile: StorageProfile, tables: Mapping[str, str], *,
                     replace: bool = False) -> None:
    """Raise :class:`~catalog.errors.LocationConflictError` if any ``{"db.table": uri}`` would move."""
    for qualified, uri in tables.items():
        database, _, name = qualified.partition(".")
        check_location(store, database, name, profile.resolve(uri), replace=replace)


def register_job_tables(
    settings: Settings,
    profile: StorageProfile,
    tables: Mapping[str, str],
    *,
    job: str,
    replace: bool = False,
    store: CatalogStore | None = None,
) -> list[str]:
    """Register every existing Delta table of ``{"db.table": uri}`` in the catalog of ``profile``'s lake.

    Tables that a run did not create (e.g. no batch yet) are skipped; returns the names
    registered. Schema and partition keys come from the Delta log. ``store`` defaults to the
    configured catalog for ``profile`` (opened and closed here).
    """
    owned = store is None
    catalog = get_catalog(settings, profile) if store is None else store
    try:
        options = profile.storage_options()
        found = {q: profile.resolve(u) for q, u in tables.items()
                 if DeltaTable.is_deltatable(profile.resolve(u), storage_options=options)}
        check_job_tables(catalog, profile, found, replace=replace)
        done = []
        for qualified, native in found.items():
            database, _, name = qualified.partition(".")
            register_delta_table(catalog, database, name, native, profile,
                                 parameters={"lakeforge.job": job}, replace=replace)
            done.append(qualified)
        return done
    finally:
        if owned:
            catalog.close()
