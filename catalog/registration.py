"""Jobs register the Delta tables they write: one call per job run."""

from __future__ import annotations

from collections.abc import Mapping

from deltalake import DeltaTable

from catalog.delta import register_delta_table
from catalog.stores import get_catalog
from lake.config import Settings
from lake.storage import StorageProfile

__all__ = ["register_job_tables"]


def register_job_tables(
    settings: Settings, profile: StorageProfile, tables: Mapping[str, str], *, job: str
) -> list[str]:
    """Register every existing Delta table of ``{"db.table": uri}`` in the configured catalog.

    Tables that a run did not create (e.g. no batch yet) are skipped; returns the names
    registered. Schema and partition keys come from the Delta log.
    """
    store = get_catalog(settings, profile)
    done = []
    for qualified, uri in tables.items():
        native = profile.resolve(uri)
        if not DeltaTable.is_deltatable(native, storage_options=profile.storage_options()):
            continue
        database, _, name = qualified.partition(".")
        register_delta_table(store, database, name, native, profile, parameters={"lakeforge.job": job})
        done.append(qualified)
    return done
