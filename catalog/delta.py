"""Register Delta tables in the catalog, schema and partition keys taken from the Delta log.

Every job that writes a Delta table calls :func:`register_delta_table` afterwards, so the
catalog always names the table, its location and the Delta version it was registered at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace as replace_fields
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from catalog.errors import AlreadyExistsError, ConcurrentModificationError, InvalidInputError
from catalog.locations import check_location, same_location
from catalog.model import Column, Param, Table, TableType
from catalog.types import from_arrow
from catalog.validation import validate_name

if TYPE_CHECKING:
    from catalog.stores.base import CatalogStore
    from lake.storage import StorageProfile

__all__ = ["as_managed", "delta_table_definition", "register_delta_table"]

_UPDATE_ATTEMPTS = 3


def _open(uri: str, profile: StorageProfile) -> Any:
    """The table's snapshot; a missing bucket, unreachable storage etc. raise their storage errors."""
    from deltalake import DeltaTable

    from lake.delta import TableNotFoundError
    from lake.delta.translate import delta_errors

    try:
        with delta_errors(profile, uri):
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
    managed: bool = False,
) -> Table:
    """The catalog :class:`Table` for the Delta table at ``uri`` (nothing is written).

    Columns are the log schema's non-partition fields, ``PartitionKeys`` the partition
    columns in log order; ``Location`` is the native table URI (``s3://…`` or a path).
    ``managed``: a ``MANAGED_TABLE`` (data we created) instead of an ``EXTERNAL_TABLE``.
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
    table = Table.external(
        database,
        name,
        columns,
        location,
        "delta",
        partition_keys=keys,
        parameters=params,
        description=description or dt.metadata().description,
    )
    return as_managed(table) if managed else table


def as_managed(table: Table) -> Table:
    """``table`` as a ``MANAGED_TABLE`` (``EXTERNAL=FALSE``): DROP … PURGE may delete its data."""
    params = {**table.parameters, Param.EXTERNAL: "FALSE"}
    return replace_fields(table, table_type=TableType.MANAGED_TABLE.value, parameters=params)


def register_delta_table(
    store: CatalogStore,
    database: str,
    name: str,
    uri: str,
    profile: StorageProfile,
    *,
    parameters: Mapping[str, Any] | None = None,
    description: str | None = None,
    replace: bool = False,
    managed: bool | None = None,
) -> Table:
    """Create or update ``database.name`` from the Delta log at ``uri``; returns the stored table.

    The database is created if missing. An existing table keeps Parameters other jobs
    added (the new values win); if nothing changed (same Delta version, schema and
    parameters) no new catalog version is written. A table registered at another location
    is a :class:`~catalog.errors.LocationConflictError` unless ``replace`` moves it on purpose.
    The update is conditional on the version read, so a concurrent re-point is never undone.
    ``managed`` registers a ``MANAGED_TABLE`` (``None``: an existing entry keeps its type, a
    new one is external).
    """
    database, name = validate_name("database", database), validate_name("table", name)
    table = delta_table_definition(
        database, name, uri, profile, parameters=parameters, description=description, managed=bool(managed)
    )
    store.create_database(database, exist_ok=True)
    attempts = _UPDATE_ATTEMPTS
    while True:
        attempts -= 1
        try:
            return _put(store, table, replace=replace, keep_managed=managed is None)
        except (AlreadyExistsError, ConcurrentModificationError):
            if attempts == 0:
                raise


def _put(store: CatalogStore, table: Table, *, replace: bool, keep_managed: bool = False) -> Table:
    """Create ``table``, or update the entry at the same location (conditional on its version)."""
    assert table.location is not None
    current = check_location(store, table.database_name, table.name, table.location, replace=replace)
    if current is None:
        return store.create_table(table)
    merged = {**current.parameters, **table.parameters}
    wanted = replace_fields(table, parameters=merged, description=table.description or current.description)
    moved = not same_location(current.location, table.location)
    if keep_managed and current.table_type == TableType.MANAGED_TABLE and not moved:
        wanted = as_managed(wanted)
    if wanted.to_table_input() == current.to_table_input():
        return current
    return store.update_table(wanted, expected_version=current.version_id)
