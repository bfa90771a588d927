"""The Glue Data Catalog data model: databases, tables, partitions, table versions.

Every class is a frozen dataclass mirroring one Glue API structure, with ``to_glue()``
producing the exact dict shape ``boto3``'s Glue client returns (``Name``, ``DatabaseName``,
``StorageDescriptor.Columns[{Name, Type}]`` …, times as ``datetime``) and ``from_glue()``
reading it back. Round trip is exact: ``X.from_glue(x.to_glue()) == x`` and, for a dict
``d`` in canonical form (what Glue returns for crawler-made tables: ``Parameters``,
``Columns``, ``PartitionKeys``, ``BucketColumns``, ``SortColumns`` always present),
``X.from_glue(d).to_glue() == d``. Keys this model does not name (``CatalogId``,
``IsRegisteredWithLakeFormation`` …) are kept verbatim in ``extra``.

Collections (``parameters``, ``columns``) are plain dicts/tuples; treat instances as
immutable and derive new ones with :func:`dataclasses.replace` or the ``with_*`` helpers.
Storage formats live in :mod:`catalog.formats`, name and table checks in
:mod:`catalog.validation`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from catalog.errors import InvalidInputError

__all__ = [
    "Column",
    "Database",
    "Param",
    "Partition",
    "SerDeInfo",
    "SortColumn",
    "StorageDescriptor",
    "Table",
    "TableType",
    "TableVersion",
    "glue_json",
]


class TableType(StrEnum):
    """Glue ``TableType`` values."""

    EXTERNAL_TABLE = "EXTERNAL_TABLE"
    VIRTUAL_VIEW = "VIRTUAL_VIEW"
    MANAGED_TABLE = "MANAGED_TABLE"


class Param:
    """Well-known keys of ``Table.Parameters`` (values are always strings in Glue)."""

    CLASSIFICATION = "classification"
    COMPRESSION_TYPE = "compressionType"
    RECORD_COUNT = "recordCount"
    AVERAGE_RECORD_SIZE = "averageRecordSize"
    OBJECT_COUNT = "objectCount"
    SIZE_KEY = "sizeKey"
    TYPE_OF_DATA = "typeOfData"
    UPDATED_BY_CRAWLER = "UPDATED_BY_CRAWLER"
    DELIMITER = "delimiter"
    SKIP_HEADER = "skip.header.line.count"
    ARE_COLUMNS_QUOTED = "areColumnsQuoted"
    COLUMNS_ORDERED = "columnsOrdered"
    TABLE_TYPE = "table_type"
    DELTA_VERSION = "delta.version"
    EXTERNAL = "EXTERNAL"
    SPARK_PROVIDER = "spark.sql.sources.provider"
    DEPRECATED_BY_CRAWLER = "DEPRECATED_BY_CRAWLER"


# --------------------------------------------------------------------------- helpers


def _dt(value: Any) -> datetime | None:
    """Glue times arrive as datetime (boto3), ISO strings (JSON) or epoch seconds."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    raise InvalidInputError(f"not a timestamp: {value!r}")


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def _extra(data: Mapping[str, Any], known: Iterable[str]) -> dict[str, Any]:
    names = set(known)
    return {k: v for k, v in data.items() if k not in names}


def _str_map(value: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


def glue_json(value: Any) -> Any:
    """``value`` (a ``to_glue()`` result) with datetimes as ISO-8601 strings, JSON-ready."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: glue_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [glue_json(v) for v in value]
    return value


# --------------------------------------------------------------------------- structures


@dataclass(frozen=True)
class Column:
    """One column: ``{Name, Type, Comment?, Parameters?}``; ``type`` is a Glue type string."""

    name: str
    type: str
    comment: str | None = None
    parameters: Mapping[str, str] | None = None

    def to_glue(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": self.name, "Type": self.type}
        _put(out, "Comment", self.comment)
        if self.parameters is not None:
            out["Parameters"] = dict(self.parameters)
        return out

    @classmethod
    def from_glue(cls, data: Mapping[str, Any]) -> Column:
        params = data.get("Parameters")
        return cls(
            name=data["Name"],
            type=data.get("Type", ""),
            comment=data.get("Comment"),
            parameters=_str_map(params) if params is not None else None,
        )


@dataclass(frozen=True)
class SerDeInfo:
    """``SerdeInfo``: the serialization library and its parameters."""

    serialization_library: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None

    def to_glue(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "Name", self.name)
        _put(out, "SerializationLibrary", self.serialization_library)
        out["Parameters"] = dict(self.parameters)
        return out

    @classmethod
    def from_glue(cls, data: Mapping[str, Any]) -> SerDeInfo:
        return cls(
            serialization_library=data.get("SerializationLibrary"),
            parameters=_str_map(data.get("Parameters")),
            name=data.get("Name"),
        )


@dataclass(frozen=True)
class SortColumn:
    column: str
    sort_order: int = 1

    def to_glue(self) -> dict[str, Any]:
        return {"Column": self.column, "SortOrder": self.sort_order}


_SD_KEYS = (
    "Columns",
    "Location",
    "InputFormat",
    "OutputFormat",
    "Compressed",
    "NumberOfBuckets",
    "SerdeInfo",
    "BucketColumns",
    "SortColumns",
    "Parameters",
    "StoredAsSubDirectories",
)


@dataclass(frozen=True)
class StorageDescriptor:
    """Where and how the data is stored: columns, location, formats, SerDe."""

    columns: tuple[Column, ...] = ()
    location: str | None = None
    input_format: str | None = None
    output_format: str | None = None
    serde_info: SerDeInfo | None = None
    compressed: bool = False
    number_of_buckets: int | None = None
    bucket_columns: tuple[str, ...] = ()
    sort_columns: tuple[SortColumn, ...] = ()
    parameters: Mapping[str, str] = field(default_factory=dict)
    stored_as_sub_directories: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "bucket_columns", tuple(self.bucket_columns))
        object.__setattr__(self, "sort_columns", tuple(self.sort_columns))

    def to_glue(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Columns": [c.to_glue() for c in self.columns]}
        _put(out, "Location", self.location)
        _put(out, "InputFormat", self.input_format)
        _put(out, "OutputFormat", self.output_format)
        out["Compressed"] = self.compressed
        _put(out, "NumberOfBuckets", self.number_of_buckets)
        if self.serde_info is not None:
            out["SerdeInfo"] = self.serde_info.to_glue()
        out["BucketColumns"] = list(self.bucket_columns)
        out["SortColumns"] = [s.to_glue() for s in self.sort_columns]
        out["Parameters"] = dict(self.parameters)
        _put(out, "StoredAsSubDirectories", self.stored_as_sub_directories)
        out.update(self.extra)
        return out

    @classmethod
    def from_glue(cls, data: Mapping[str, Any]) -> StorageDescriptor:
        serde = data.get("SerdeInfo")
        return cls(
            columns=tuple(Column.from_glue(c) for c in data.get("Columns", ())),
            location=data.get("Location"),
            input_format=data.get("InputFormat"),
            output_format=data.get("OutputFormat"),
            serde_info=SerDeInfo.from_glue(serde) if serde is not None else None,
            compressed=bool(data.get("Compressed", False)),
            number_of_buckets=data.get("NumberOfBuckets"),
            bucket_columns=tuple(data.get("BucketColumns", ())),
            sort_columns=tuple(
                SortColumn(s["Column"], int(s.get("SortOrder", 1)))
                for s in data.get("SortColumns", ())
            ),
            parameters=_str_map(data.get("Parameters")),
            stored_as_sub_directories=data.get("StoredAsSubDirectories"),
            extra=_extra(data, _SD_KEYS),
        )

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def with_columns(self, columns: Sequence[Column]) -> StorageDescriptor:
        return replace(self, columns=tuple(columns))

    def with_location(self, location: str | None) -> StorageDescriptor:
        return replace(self, location=location)


_DB_KEYS = ("Name", "Description", "LocationUri", "Parameters", "CreateTime")


@dataclass(frozen=True)
class Database:
    """A Glue database (a namespace of tables)."""

    name: str
    description: str | None = None
    location_uri: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    create_time: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_glue(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": self.name}
        _put(out, "Description", self.description)
        _put(out, "LocationUri", self.location_uri)
        out["Parameters"] = dict(self.parameters)
        _put(out, "CreateTime", self.create_time)
        out.update(self.extra)
        return out

    def to_database_input(self) -> dict[str, Any]:
        """The ``DatabaseInput`` of CreateDatabase/UpdateDatabase."""
        out: dict[str, Any] = {"Name": self.name}
        _put(out, "Description", self.description)
        _put(out, "LocationUri", self.location_uri)
        out["Parameters"] = dict(self.parameters)
        return out

    @classmethod
    def from_glue(cls, data: Mapping[str, Any]) -> Database:
        return cls(
            name=data["Name"],
            description=data.get("Description"),
            location_uri=data.get("LocationUri"),
            parameters=_str_map(data.get("Parameters")),
            create_time=_dt(data.get("CreateTime")),
            extra=_extra(data, _DB_KEYS),
        )


_TABLE_KEYS = (
    "Name",
    "DatabaseName",
    "Description",
    "Owner",
    "CreateTime",
    "UpdateTime",
    "LastAccessTime",
    "LastAnalyzedTime",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "ViewOriginalText",
    "ViewExpandedText",
    "TableType",
    "Parameters",
    "CreatedBy",
    "VersionId",
)
# Keys of a Table that UpdateTable/CreateTable accept back as TableInput.
_TABLE_INPUT_EXTRA = ("TargetTable", "ViewDefinition")


@dataclass(frozen=True)
class Table:
    """A Glue table or view.

    ``storage_descriptor.columns`` are the data columns; ``partition_keys`` the partition
    columns (Glue keeps them apart). Views are ``TableType.VIRTUAL_VIEW`` with their SQL in
    ``view_original_text`` (as written) and ``view_expanded_text`` (names resolved).
    ``version_id`` is set by the store; every update keeps the previous version.
    """

    name: str
    database_name: str
    storage_descriptor: StorageDescriptor = field(default_factory=StorageDescriptor)
    partition_keys: tuple[Column, ...] = ()
    table_type: str | None = TableType.EXTERNAL_TABLE.value
    parameters: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    owner: str | None = None
    view_original_text: str | None = None
    view_expanded_text: str | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    last_access_time: datetime | None = None
    last_analyzed_time: datetime | None = None
    retention: int | None = None
    created_by: str | None = None
    version_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "partition_keys", tuple(self.partition_keys))

    # ---- views of the table
    @property
    def qualified_name(self) -> str:
        return f"{self.database_name}.{self.name}"

    @property
    def location(self) -> str | None:
        return self.storage_descriptor.location

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.storage_descriptor.columns

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """Data columns followed by partition keys (the order SQL engines expose)."""
        return self.storage_descriptor.columns + self.partition_keys

    @property
    def is_view(self) -> bool:
        return self.table_type == TableType.VIRTUAL_VIEW

    @property
    def classification(self) -> str | None:
        return self.parameters.get(Param.CLASSIFICATION)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.all_columns if c.name == name), None)

    def with_parameters(self, **updates: str) -> Table:
        """A copy whose ``Parameters`` are updated with ``updates`` (values as strings)."""
        merged = dict(self.parameters)
        merged.update({k: str(v) for k, v in updates.items()})
        return replace(self, parameters=merged)

    # ---- Glue API shapes
    def to_glue(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": self.name, "DatabaseName": self.database_name}
        _put(out, "Description", self.description)
        _put(out, "Owner", self.owner)
        _put(out, "CreateTime", self.create_time)
        _put(out, "UpdateTime", self.update_time)
        _put(out, "LastAccessTime", self.last_access_time)
        _put(out, "LastAnalyzedTime", self.last_analyzed_time)
        _put(out, "Retention", self.retention)
        out["StorageDescriptor"] = self.storage_descriptor.to_glue()
        out["PartitionKeys"] = [c.to_glue() for c in self.partition_keys]
        _put(out, "ViewOriginalText", self.view_original_text)
        _put(out, "ViewExpandedText", self.view_expanded_text)
        _put(out, "TableType", self.table_type)
        out["Parameters"] = dict(self.parameters)
        _put(out, "CreatedBy", self.created_by)
        _put(out, "VersionId", self.version_id)
        out.update(self.extra)
        return out

    def to_table_input(self) -> dict[str, Any]:
        """The ``TableInput`` of CreateTable/UpdateTable (no store-managed keys)."""
        out: dict[str, Any] = {"Name": self.name}
        _put(out, "Description", self.description)
        _put(out, "Owner", self.owner)
        _put(out, "LastAccessTime", self.last_access_time)
        _put(out, "LastAnalyzedTime", self.last_analyzed_time)
        _put(out, "Retention", self.retention)
        out["StorageDescriptor"] = self.storage_descriptor.to_glue()
        out["PartitionKeys"] = [c.to_glue() for c in self.partition_keys]
        _put(out, "ViewOriginalText", self.view_original_text)
        _put(out, "ViewExpandedText", self.view_expanded_text)
        _put(out, "TableType", self.table_type)
        out["Parameters"] = dict(self.parameters)
        for key in _TABLE_INPUT_EXTRA:
            _put(out, key, self.extra.get(key))
        return out

    @classmethod
    def from_glue(cls, data: Mapping[str, Any], database_name: str | None = None) -> Table:
        """Read a Glue ``Table`` (or a ``TableInput`` with ``database_name`` given)."""
        sd = data.get("StorageDescriptor")
        db = data.get("DatabaseName", database_name)
        if db is None:
            raise InvalidInputError("a Glue table dict needs DatabaseName", field="DatabaseName")
        return cls(
            name=data["Name"],
            database_name=db,
            storage_descriptor=StorageDescriptor.from_glue(sd)
            if sd is not None
            else StorageDescriptor(),
            partition_keys=tuple(Column.from_glue(c) for c in data.get("PartitionKeys", ())),
            table_type=data.get("TableType"),
            parameters=_str_map(data.get("Parameters")),
            description=data.get("Description"),
            owner=data.get("Owner"),
            view_original_text=data.get("ViewOriginalText"),
            view_expanded_text=data.get("ViewExpandedText"),
            create_time=_dt(data.get("CreateTime")),
            update_time=_dt(data.get("UpdateTime")),
            last_access_time=_dt(data.get("LastAccessTime")),
            last_analyzed_time=_dt(data.get("LastAnalyzedTime")),
            retention=data.get("Retention"),
            created_by=data.get("CreatedBy"),
            version_id=data.get("VersionId"),
            extra=_extra(data, _TABLE_KEYS),
        )

    # ---- constructors
    @classmethod
    def external(
        cls,
        database: str,
        name: str,
        columns: Sequence[Column | tuple[str, str]],
        location: str,
        fmt: str = "parquet",
        *,
        partition_keys: Sequence[Column | tuple[str, str]] = (),
        parameters: Mapping[str, Any] | None = None,
        compression: str | None = None,
        delimiter: str = ",",
        header: bool = False,
        quoted: bool = False,
        description: str | None = None,
    ) -> Table:
        """An ``EXTERNAL_TABLE`` in a standard format (see :data:`FORMATS`).

        ``parameters`` are merged over :func:`format_parameters`; columns may be given as
        ``(name, type)`` pairs.
        """
        cols = [_as_column(c) for c in columns]
        from catalog.formats import format_parameters, storage_descriptor  # formats build on this module

        params = format_parameters(
            fmt, compression=compression, delimiter=delimiter, header=header, quoted=quoted
        )
        params.update({k: str(v) for k, v in (parameters or {}).items()})
        return cls(
            name=name,
            database_name=database,
            storage_descriptor=storage_descriptor(
                fmt,
                cols,
                location,
                compressed=bool(compression and compression != "none"),
                delimiter=delimiter,
                quoted=quoted,
            ),
            partition_keys=tuple(_as_column(c) for c in partition_keys),
            table_type=TableType.EXTERNAL_TABLE.value,
            parameters=params,
            description=description,
        )

    @classmethod
    def view(
        cls,
        database: str,
        name: str,
        sql: str,
        columns: Sequence[Column | tuple[str, str]],
        *,
        expanded_sql: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> Table:
        """A ``VIRTUAL_VIEW`` storing its SQL text (``expanded_sql`` defaults to ``sql``)."""
        return cls(
            name=name,
            database_name=database,
            storage_descriptor=StorageDescriptor(
                columns=tuple(_as_column(c) for c in columns),
                serde_info=SerDeInfo(),
            ),
            table_type=TableType.VIRTUAL_VIEW.value,
            parameters={k: str(v) for k, v in (parameters or {}).items()},
            view_original_text=sql,
            view_expanded_text=expanded_sql if expanded_sql is not None else sql,
            description=description,
        )


def _as_column(value: Column | tuple[str, str]) -> Column:
    if isinstance(value, Column):
        return value
    name, type_ = value
    return Column(name, type_)


_PARTITION_KEYS = (
    "Values",
    "DatabaseName",
    "TableName",
    "CreationTime",
    "LastAccessTime",
    "StorageDescriptor",
    "Parameters",
    "LastAnalyzedTime",
)


@dataclass(frozen=True)
class Partition:
    """One partition: its ``values`` (in partition-key order) and own storage descriptor."""

    values: tuple[str, ...]
    database_name: str | None = None
    table_name: str | None = None
    storage_descriptor: StorageDescriptor | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    creation_time: datetime | None = None
    last_access_time: datetime | None = None
    last_analyzed_time: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(str(v) for v in self.values))

    @property
    def location(self) -> str | None:
        return self.storage_descriptor.location if self.storage_descriptor else None

    def spec(self, keys: Sequence[Column | str]) -> dict[str, str]:
        """``{key name: value}`` given the table's partition keys."""
        names = [k.name if isinstance(k, Column) else k for k in keys]
        return dict(zip(names, self.values, strict=True))

    def to_glue(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Values": list(self.values)}
        _put(out, "DatabaseName", self.database_name)
        _put(out, "TableName", self.table_name)
        _put(out, "CreationTime", self.creation_time)
        _put(out, "LastAccessTime", self.last_access_time)
        if self.storage_descriptor is not None:
            out["StorageDescriptor"] = self.storage_descriptor.to_glue()
        out["Parameters"] = dict(self.parameters)
        _put(out, "LastAnalyzedTime", self.last_analyzed_time)
        out.update(self.extra)
        return out

    def to_partition_input(self) -> dict[str, Any]:
        """The ``PartitionInput`` of CreatePartition/BatchCreatePartition."""
        out: dict[str, Any] = {"Values": list(self.values)}
        _put(out, "LastAccessTime", self.last_access_time)
        if self.storage_descriptor is not None:
            out["StorageDescriptor"] = self.storage_descriptor.to_glue()
        out["Parameters"] = dict(self.parameters)
        _put(out, "LastAnalyzedTime", self.last_analyzed_time)
        return out

    @classmethod
    def from_glue(cls, data: Mapping[str, Any]) -> Partition:
        sd = data.get("StorageDescriptor")
        return cls(
            values=tuple(data.get("Values", ())),
            database_name=data.get("DatabaseName"),
            table_name=data.get("TableName"),
            storage_descriptor=StorageDescriptor.from_glue(sd) if sd is not None else None,
            parameters=_str_map(data.get("Parameters")),
            creation_time=_dt(data.get("CreationTime")),
            last_access_time=_dt(data.get("LastAccessTime")),
            last_analyzed_time=_dt(data.get("LastAnalyzedTime")),
            extra=_extra(data, _PARTITION_KEYS),
        )


@dataclass(frozen=True)
class TableVersion:
    """One kept version of a table (Glue ``TableVersion``)."""

    version_id: str
    table: Table

    def to_glue(self) -> dict[str, Any]:
        return {"Table": self.table.to_glue(), "VersionId": self.version_id}

    @classmethod
    def from_glue(cls, data: Mapping[str, Any]) -> TableVersion:
        table = Table.from_glue(data["Table"])
        version = str(data.get("VersionId", table.version_id))
        return cls(version, replace(table, version_id=version))
