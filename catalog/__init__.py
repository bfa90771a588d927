"""The Glue-style data catalog: data model, stores, Delta registration, crawler, SQL.

Quick use::

    from catalog import get_catalog, Table, Column, resolve_table
    store = get_catalog(settings)                 # embedded (SQLite) or glue (boto3)
    store.create_database("bronze", exist_ok=True)
    store.put_table(Table.external("bronze", "heart", [("id", "bigint")], "s3://lake/bronze/heart"))
    resolve_table(store, "bronze.heart").location
"""

from __future__ import annotations

from catalog.delta import register_delta_table
from catalog.diff import TableDiff, diff_tables
from catalog.errors import (
    AlreadyExistsError,
    CatalogError,
    CatalogUnavailableError,
    ConcurrentModificationError,
    EntityNotFoundError,
    InvalidInputError,
    InvalidTypeError,
    LocationConflictError,
    UnknownStoreError,
)
from catalog.formats import FORMATS, StorageFormat, format_parameters, storage_descriptor
from catalog.model import (
    Column,
    Database,
    Param,
    Partition,
    SerDeInfo,
    StorageDescriptor,
    Table,
    TableType,
    TableVersion,
    glue_json,
)
from catalog.names import TableName, parse_table_name, resolve_table, table_location
from catalog.stores import CATALOG_STORES, CatalogStore, get_catalog

__all__ = [
    "CATALOG_STORES",
    "FORMATS",
    "AlreadyExistsError",
    "CatalogError",
    "CatalogStore",
    "CatalogUnavailableError",
    "Column",
    "ConcurrentModificationError",
    "Database",
    "EntityNotFoundError",
    "InvalidInputError",
    "InvalidTypeError",
    "LocationConflictError",
    "Param",
    "Partition",
    "SerDeInfo",
    "StorageDescriptor",
    "StorageFormat",
    "Table",
    "TableDiff",
    "TableName",
    "TableType",
    "TableVersion",
    "UnknownStoreError",
    "diff_tables",
    "format_parameters",
    "get_catalog",
    "glue_json",
    "parse_table_name",
    "register_delta_table",
    "resolve_table",
    "storage_descriptor",
    "table_location",
]
