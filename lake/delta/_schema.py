"""Schema conversion (Spark ⇄ Arrow ⇄ Delta), enforcement and opt-in evolution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from lake.delta.errors import InvalidWriteError, SchemaMismatchError

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

__all__ = ["SchemaMode", "SchemaPlan", "arrow_to_spark", "delta_arrow_schema", "plan_schema", "spark_to_arrow"]

SchemaMode = Literal["merge", "overwrite"] | None

# Implicit widening allowed on write (the data's type → the table's type).
_SAFE_UPCASTS: dict[str, set[str]] = {
    "int8": {"int16", "int32", "int64", "float", "double"},
    "int16": {"int32", "int64", "float", "double"},
    "int32": {"int64", "double"},
    "int64": set(),
    "float": {"double"},
    "date32[day]": {"timestamp[us, tz=UTC]"},
}


def spark_to_arrow(schema: StructType) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(schema, timezone="UTC")


def arrow_to_spark(schema: pa.Schema) -> StructType:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def delta_arrow_schema(delta_schema: Any) -> pa.Schema:
    """A deltalake ``Schema`` as a pyarrow schema."""
    return pa.schema(delta_schema.to_arrow())


@dataclass(frozen=True)
class SchemaPlan:
    """What a write does to the schema: the committed schema and per-column casts."""

    table_schema: pa.Schema
    casts: dict[str, pa.DataType]
    fill_null: list[str]
    evolved: bool


def _strip(t: pa.DataType) -> str:
    return str(t).replace("large_string", "string").replace("large_binary", "binary")


def plan_schema(
    table: str,
    existing: pa.Schema | None,
    data: pa.Schema,
    mode: SchemaMode,
    *,
    overwrite: bool,
) -> SchemaPlan:
    """Check ``data`` against ``existing`` and decide the resulting table schema.

    Without ``mode``: columns must exist with the same type (safe widening is allowed, missing
    columns are written as nulls). ``merge`` adds new columns; ``overwrite`` (only with an
    overwrite write) replaces the schema.
    """
    if existing is None or (mode == "overwrite" and overwrite):
        return SchemaPlan(data, {}, [], evolved=existing is not None and existing != data)
    if mode == "overwrite":
        raise InvalidWriteError(table, "schema_mode='overwrite' requires mode='overwrite'")
    by_lower = {f.name.lower(): f for f in existing}
    casts: dict[str, pa.DataType] = {}
    added: list[pa.Field] = []
    for field in data:
        current = existing.field(field.name) if field.name in existing.names else None
        if current is None:
            twin = by_lower.get(field.name.lower())
            if twin is not None:
                raise SchemaMismatchError(
                    table, field.name, _strip(field.type), _strip(twin.type),
                    f"differs only in case from table column {twin.name!r}",
                )
            if mode != "merge":
                raise SchemaMismatchError(
                    table, field.name, _strip(field.type), None,
                    "is not in the table (add it with --schema-mode merge, or schema_mode='merge' from Python)",
                )
            added.append(field.with_nullable(True))
            continue
        have, want = _strip(field.type), _strip(current.type)
        if have == want:
            continue
        if want in _SAFE_UPCASTS.get(have, set()) or (
            pa.types.is_null(field.type)
        ):
            casts[field.name] = current.type
            continue
        raise SchemaMismatchError(table, field.name, have, want, "has an incompatible type")
    fill = [f.name for f in existing if f.name not in data.names]
    schema = pa.schema([*existing, *added]) if added else existing
    return SchemaPlan(schema, casts, fill, evolved=bool(added))
