"""Small reads of catalog Delta tables without Spark: delta-rs lists the snapshot, pyarrow reads it.

For the few hundred or thousand rows a report or a command needs (run history, metrics tables,
a sample of records). Only the named columns are read, and a pyarrow filter is pushed down to
the files. The snapshot and dataset objects are dropped before returning (delta-rs/pyarrow
thread teardown at interpreter exit, see RECIPES "Process teardown").
"""

from __future__ import annotations

import gc
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow.dataset as pads

from catalog.names import parse_table_name
from infra.errors import InvalidOptionError
from lake.delta.read import open_snapshot

if TYPE_CHECKING:
    from catalog.stores.base import CatalogStore
    from lake.storage import StorageProfile

__all__ = ["DeltaRows", "read_rows", "table_location"]


@dataclass(frozen=True)
class DeltaRows:
    """Rows read from a Delta table at ``version`` (NaN floats as ``None``)."""

    table: str
    location: str
    version: int
    rows: list[dict[str, Any]]


def table_location(store: CatalogStore, name: str) -> str:
    """The location of the catalog Delta table ``db.name``; a view or a table without one is refused."""
    parsed = parse_table_name(name)
    table = store.get_table(parsed.database, parsed.table)
    if table.is_view or not table.location:
        raise InvalidOptionError("--input", name, "a Delta table of the catalog (not a view)")
    return table.location


def read_rows(
    store: CatalogStore,
    profile: StorageProfile,
    name: str,
    *,
    columns: Sequence[str] | None = None,
    where: pads.Expression | None = None,
    limit: int | None = None,
) -> DeltaRows:
    """Rows of the catalog Delta table ``name`` (``columns`` only, matching ``where``, at most ``limit``)."""
    location = table_location(store, name)
    dt = open_snapshot(profile, location)
    version = dt.version()
    dataset = dt.to_pyarrow_dataset()
    wanted = [c for c in columns if c in dataset.schema.names] if columns is not None else None
    try:
        if limit is not None:
            table = dataset.head(limit, columns=wanted, filter=where)
        else:
            table = dataset.to_table(columns=wanted, filter=where)
        rows = [{k: _clean(v) for k, v in row.items()} for row in table.to_pylist()]
    finally:
        del dataset, dt
        gc.collect()
    return DeltaRows(name, location, version, rows)


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value
