"""Checks of the Glue data model: names and whole tables (column names and types)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from catalog.errors import InvalidInputError, InvalidTypeError
from catalog.types import parse_type

if TYPE_CHECKING:
    from catalog.model import Table

__all__ = ["validate_name", "validate_table"]

_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")


def validate_name(kind: str, name: str) -> str:
    """Check a database/table name and return it lower-cased, as Glue stores names.

    Names are 1-255 characters of letters, digits, ``_`` and ``-`` (no dots: ``db.table``
    is how names are qualified).
    """
    if not isinstance(name, str) or not name or len(name) > 255 or not _NAME_RE.match(name):
        raise InvalidInputError(
            "must be 1-255 letters, digits, '_' or '-' (no dots or spaces)",
            field=f"{kind} name {name!r}",
            value=name,
        )
    return name.lower()


def validate_table(table: Table) -> Table:
    """Check names and every column type; returns ``table`` with lower-cased names.

    Raises :class:`InvalidInputError` naming the offending field, e.g.
    ``StorageDescriptor.Columns[2].Type``.
    """
    db = validate_name("database", table.database_name)
    name = validate_name("table", table.name)
    if table.is_view and not table.view_original_text:
        raise InvalidInputError("a VIRTUAL_VIEW needs its SQL text", field="ViewOriginalText")
    seen: set[str] = set()
    for where, cols in (
        ("StorageDescriptor.Columns", table.columns),
        ("PartitionKeys", table.partition_keys),
    ):
        for i, col in enumerate(cols):
            if not col.name or len(col.name) > 255:
                raise InvalidInputError(
                    "column name must be 1-255 characters",
                    field=f"{where}[{i}].Name",
                    value=col.name,
                )
            if col.name.lower() in seen:
                raise InvalidInputError(
                    f"duplicate column {col.name!r}", field=f"{where}[{i}].Name", value=col.name
                )
            seen.add(col.name.lower())
            try:
                parse_type(col.type)
            except InvalidTypeError as exc:
                raise InvalidInputError(
                    str(exc), field=f"{where}[{i}].Type", value=col.type
                ) from None
    if db == table.database_name and name == table.name:
        return table
    return replace(table, database_name=db, name=name)
