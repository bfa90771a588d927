"""Register Delta tables in the catalog, schema and partition keys taken from the Delta log.

Every job that writes a Delta table calls :func:`register_delta_table` afterwards, so the
catalog always names the table, its location and the Delta version it was registered at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from catalog.errors import InvalidInputError
from catalog.model import Column, Param, Table, validate_name
from catalog.types import from_arrow

if TYPE_CHECKING:
    from catalog.stores.base import CatalogStore
    from lake.storage import StorageProfile

__all__ = ["delta_table_definition", "register_delta_table"]


def _open(uri: str, profile: StorageProfile) -> Any:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        return DeltaTable(uri, storage_options=profile.storage_options() or None)
    except TableNotFoundError:
        raise InvalidInputError(
            f"{uri} is not a Delta table (no _delta_log)", field="uri", value=uri
        ) from None


def _statistics(dt: Any) -> dict[str, str]:
    """recordCount/sizeKey/objectCount/averageRecordSize from the log's add actions."""
    actions = pa.table(dt.get_add_actions(flatten=True))
    stats = {Param.OBJECT_COUNT: str(actions.num_rows)}
    if "size_bytes" in actions.column_names:
        stats[Param.SIZE_KEY] = str(pc.sum(actions["size_bytes"]).as_py() or 0)
    if "num_records" in actions.column_names and actions["num_records"].null_count == 0:
        records = int(pc.sum(actions["num_records"]).as_py() or 0)
        stats[Param.RECORD_COUNT] = str(records)
        if records and Param.SIZE_KEY in stats:
            stats[Param.AVERAGE_RECORD_SIZE] = str(int(stats[Param.SIZE_KEY]) // records)
    return stats


def delta_table_definition(
    database: str,
    name: str,
    uri: str,
    profile: StorageProfile,
    *,
    parameters: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> Table:
    """The catalog :class:`Table` for the Delta table at ``uri`` (nothing is written).

    Columns are the log schema's non-partition fields, ``PartitionKeys`` the partition
    columns in log order; ``Location`` is the native table URI (``s3://…`` or a path).
    """
    location = profile.resolve(uri).rstrip("/")
    dt = _open(location, profile)
    schema = pa.schema(dt.schema().to_arrow())
    partition_names = list(dt.metadata().partition_columns)
    by_name = {f.name: f for f in schema}
    columns = [Column(f.name, from_arrow(f.type)) for f in schema if f.name not in partition_names]
    keys = [Column(n, from_arrow(by_name[n].type)) for n in partition_names]
    params: dict[str, str] = {Param.DELTA_VERSION: str(dt.version()), **_statistics(dt)}
    params.update({k: str(v) for k, v in (parameters or {}).items()})
    return Table.external(
        database,
        name,
        columns,
        location,
        "delta",
        partition_keys=keys,
        parameters=params,
        description=description or dt.metadata().description,
    )


def register_delta_table(
    store: CatalogStore,
    database: str,
    name: str,
    uri: str,
    profile: StorageProfile,
    *,
    parameters: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> Table:
    """Create or update ``database.name`` from the Delta log at ``uri``; returns the stored table.

    The database is created if missing. An existing table keeps Parameters other jobs
    added (the new values win); if nothing changed (same Delta version, schema and
    parameters) no new catalog version is written.
    """
    database, name = validate_name("database", database), validate_name("table", name)
    table = delta_table_definition(
        database, name, uri, profile, parameters=parameters, description=description
    )
    store.create_database(database, exist_ok=True)
    if not store.table_exists(database, name):
        return store.create_table(table)
    current = store.get_table(database, name)
    merged = {**current.parameters, **table.parameters}
    table = replace(table, parameters=merged, description=table.description or current.description)
    if table.to_table_input() == current.to_table_input():
        return current
    return store.update_table(table)
