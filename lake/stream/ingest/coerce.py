"""Typing JSON objects into bronze columns: strict casts, rescue, and schema inference.

The bronze table's schema is the contract. A value whose JSON type does not fit its
column (a string in a numeric column, a fraction in an integer column, ...) becomes null
and its original text goes to ``_rescued`` (a JSON object field → raw text), so nothing is
silently dropped. Fields the table does not have yet are added with a type inferred from
the batch (see :func:`infer_type`); a field that only holds nulls so far waits until a
value shows up. Field names that cannot be columns (reserved, invalid or clashing) are
rescued as well.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa

from lake.stream.ingest.parse import parse_event_time

__all__ = [
    "INVALID_NAME_CHARS",
    "RESCUED",
    "TIMESTAMP",
    "Coerced",
    "coerce_objects",
    "infer_type",
]

RESCUED = "_rescued"
TIMESTAMP = pa.timestamp("us", tz="UTC")
INVALID_NAME_CHARS = frozenset(" ,;{}()\n\t=")
_INT64 = (-(2**63), 2**63 - 1)
_MISSING = object()


@dataclass
class Coerced:
    """Typed columns for a batch of objects."""

    schema: pa.Schema  # data columns only, table order, new ones last
    columns: dict[str, list[Any]]
    rescued: list[str | None]  # per object: JSON map field → raw text, or None
    added: list[str]  # columns the table did not have


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return "nested"


def infer_type(name: str, values: Iterable[Any], event_time_field: str) -> pa.DataType | None:
    """The column type for a new field from its non-null values in a batch (``None``: none).

    Integers → int64, integers and fractions → float64, booleans → bool, strings and
    nested values → string (nested as JSON text); the event-time field → timestamp. With
    mixed kinds the most common family wins (ties: string) and the others are rescued.
    """
    kinds = Counter(_kind(v) for v in values if v is not None)
    if not kinds:
        return None
    families = {
        "string": kinds["str"] + kinds["nested"],
        "number": kinds["int"] + kinds["float"],
        "bool": kinds["bool"],
    }
    family = max(("string", "number", "bool"), key=lambda f: families[f])
    if name == event_time_field and family == "string":
        return TIMESTAMP
    if family == "number":
        return pa.float64() if kinds["float"] else pa.int64()
    if family == "bool":
        return pa.bool_()
    return pa.string()


def _caster(dtype: pa.DataType) -> Callable[[Any], Any]:
    """A function returning a value as ``dtype``, or ``_MISSING`` when it does not fit."""
    if pa.types.is_boolean(dtype):
        return lambda v: v if v.__class__ is bool else _MISSING
    if pa.types.is_integer(dtype):

        def to_int(v: Any) -> Any:
            kind = v.__class__
            if kind is int:
                return v if _INT64[0] <= v <= _INT64[1] else _MISSING
            if kind is float and math.isfinite(v) and v.is_integer() and _INT64[0] <= v <= _INT64[1]:
                return int(v)
            return _MISSING

        return to_int
    if pa.types.is_floating(dtype):
        return lambda v: float(v) if v.__class__ in (int, float) else _MISSING
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):

        def to_str(v: Any) -> Any:
            if v.__class__ is str:
                return v
            if isinstance(v, dict | list):
                return json.dumps(v, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
            return _MISSING

        return to_str
    if pa.types.is_timestamp(dtype):

        def to_timestamp(v: Any) -> Any:
            moment = parse_event_time(v)
            return _MISSING if moment is None else moment

        return to_timestamp
    if pa.types.is_date(dtype):

        def to_date(v: Any) -> Any:
            if v.__class__ is not str:
                return _MISSING
            try:
                return date.fromisoformat(v)
            except ValueError:
                return _MISSING

        return to_date
    return lambda v: _MISSING  # a column type JSON cannot produce


def _raw_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _valid_name(name: str) -> bool:
    return bool(name) and not (set(name) & INVALID_NAME_CHARS)


def coerce_objects(
    objects: Sequence[dict[str, Any]],
    existing: pa.Schema | None,
    *,
    reserved: Iterable[str],
    event_time_field: str,
) -> Coerced:
    """Type ``objects`` against ``existing`` data columns, adding inferred new ones."""
    reserved_lower = {r.lower() for r in reserved} | {RESCUED.lower()}
    fields: list[pa.Field] = [
        f for f in (existing or pa.schema([])) if f.name.lower() not in reserved_lower
    ]
    by_lower = {f.name.lower(): f.name for f in fields}

    # Resolve each key to a column (case-insensitively) or to "rescue"; gather new fields.
    pending: dict[str, list[Any]] = {}
    for obj in objects:
        for key, value in obj.items():
            lower = key.lower()
            if lower in reserved_lower or not _valid_name(key) or lower in by_lower:
                continue
            pending.setdefault(key, []).append(value)
    added: list[str] = []
    for key, values in pending.items():
        lower = key.lower()
        if lower in by_lower:  # another spelling of a key added just before
            continue
        dtype = infer_type(key, values, event_time_field)
        if dtype is None:
            continue
        fields.append(pa.field(key, dtype, nullable=True))
        by_lower[lower] = key
        added.append(key)

    schema = pa.schema(fields)
    casters = {f.name: _caster(f.type) for f in fields}
    columns: dict[str, list[Any]] = {f.name: [None] * len(objects) for f in fields}
    resolved: dict[str, str | None] = {}  # key → its column, or None: rescue it
    for key in {k for obj in objects for k in obj}:
        lower = key.lower()
        ok = lower not in reserved_lower and _valid_name(key)
        resolved[key] = by_lower.get(lower) if ok else None
    rescued: list[str | None] = [None] * len(objects)
    for i, obj in enumerate(objects):
        saved: dict[str, str] | None = None
        seen: set[str] = set()
        for key, value in obj.items():
            if value is None:
                continue
            column = resolved[key]
            if column is not None and column not in seen:
                seen.add(column)
                cast = casters[column](value)
                if cast is not _MISSING:
                    columns[column][i] = cast
                    continue
            if saved is None:
                saved = {}
            saved[key] = _raw_text(value)
        if saved:
            rescued[i] = _raw_text(saved)
    return Coerced(schema, columns, rescued, added)

