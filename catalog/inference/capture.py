"""The capture table of a model endpoint: ``<lake>/ml/capture/<endpoint>`` registered as ``ml.capture_<endpoint>``.

The endpoint appends sampled requests and responses to it (``lake.ml.serving.capture``); this
module creates the empty Delta table up front (same schema, partitioned by ``event_date``) so
it is queryable and monitorable from the first moment, and registers it in the catalog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from catalog.stores.base import CatalogStore
    from lake.storage import StorageProfile

__all__ = ["CAPTURE_DATABASE", "CaptureTable", "capture_table_name", "ensure_capture_table"]

CAPTURE_DATABASE = "ml"


@dataclass(frozen=True)
class CaptureTable:
    """Where an endpoint's captured data lives and its catalog name."""

    endpoint: str
    name: str
    uri: str


def capture_table_name(endpoint: str) -> str:
    """``ml.capture_<endpoint>`` (hyphens become underscores: catalog names are identifiers)."""
    return f"{CAPTURE_DATABASE}.capture_{re.sub(r'[^a-z0-9_]', '_', endpoint.lower())}"


def ensure_capture_table(store: CatalogStore, profile: StorageProfile, endpoint: str) -> CaptureTable:
    """Create the capture Delta table if missing and register it (idempotent)."""
    from deltalake import DeltaTable, Schema

    from catalog.delta import register_delta_table
    from lake.ml.serving.capture import CAPTURE_TABLE_PREFIX, capture_schema

    uri = profile.resolve(f"{CAPTURE_TABLE_PREFIX}/{endpoint}")
    options = profile.storage_options()
    if not DeltaTable.is_deltatable(uri, storage_options=options):
        DeltaTable.create(uri, Schema.from_arrow(capture_schema()), mode="ignore", partition_by=["event_date"],
                          storage_options=options or None)
    name = capture_table_name(endpoint)
    database, _, table = name.partition(".")
    register_delta_table(store, database, table, uri, profile,
                         parameters={"lakeforge.job": "serve", "lakeforge.endpoint": endpoint}, managed=None)
    return CaptureTable(endpoint, name, uri)
