"""The one widening rule the crawler uses to merge types across records, files and partitions.

``tinyint → smallint → int → bigint → double`` (``float`` joins at ``double``; ``float`` with
``float`` stays ``float``), decimals widen to hold both operands (beyond 38 digits →
``double``; integers join a decimal as ``decimal(3|5|10|19,0)``), ``date → timestamp``,
structs merge field by field (union of fields in first-seen order), arrays and maps merge
their element types, ``NULL`` (no value seen yet) yields to anything, and every other pair
(``boolean`` with ``int``, a struct with a string …) becomes ``string``.

The rule is commutative and associative, so the result does not depend on the order files
are read in, and the same rule is applied to the table and to every partition.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from catalog.types import (
    ArrayType,
    CharType,
    DecimalType,
    GlueType,
    MapType,
    PrimitiveType,
    StructField,
    StructType,
)

__all__ = [
    "NULL",
    "STRING",
    "NullType",
    "Trace",
    "merge_columns",
    "resolve_nulls",
    "widen",
]


@dataclass(frozen=True)
class NullType(GlueType):
    """No non-null value seen yet; resolves to ``string`` when nothing else is seen."""

    def __str__(self) -> str:
        return "null"


NULL = NullType()
STRING = PrimitiveType("string")
_INT_RANK = {"tinyint": 0, "smallint": 1, "int": 2, "bigint": 3}
_INT_DECIMAL = {"tinyint": 3, "smallint": 5, "int": 10, "bigint": 19}
_MAX_PRECISION = 38


class Trace:
    """Collects human-readable widening decisions (``where: a + b → c (why)``)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._seen: set[str] = set()

    def note(self, path: str, a: GlueType, b: GlueType, result: GlueType, why: str) -> None:
        line = f"{path or '<value>'}: {a} + {b} → {result} ({why})"
        if line not in self._seen:
            self._seen.add(line)
            self.lines.append(line)


def _name(t: GlueType) -> str | None:
    return t.name if isinstance(t, PrimitiveType) else None


def _as_decimal(t: GlueType) -> DecimalType | None:
    if isinstance(t, DecimalType):
        return t
    name = _name(t)
    if name in _INT_DECIMAL:
        return DecimalType(_INT_DECIMAL[name], 0)
    return None


def _widen_primitive(a: GlueType, b: GlueType) -> tuple[GlueType, str] | None:
    na, nb = _name(a), _name(b)
    if na in _INT_RANK and nb in _INT_RANK:
        wider = a if _INT_RANK[na] >= _INT_RANK[nb] else b  # type: ignore[index]
        return wider, "integer widening"
    numeric = {*_INT_RANK, "float", "double"}
    a_num = na in numeric or isinstance(a, DecimalType)
    b_num = nb in numeric or isinstance(b, DecimalType)
    if a_num and b_num:
        if "double" in (na, nb) or "float" in (na, nb):
            return PrimitiveType("double"), "numeric widening"
        da, db = _as_decimal(a), _as_decimal(b)
        if da is not None and db is not None:
            scale = max(da.scale, db.scale)
            digits = max(da.precision - da.scale, db.precision - db.scale)
            if digits + scale > _MAX_PRECISION:
                return PrimitiveType("double"), "decimal wider than 38 digits"
            return DecimalType(digits + scale, scale), "decimal widening"
    if {na, nb} == {"date", "timestamp"}:
        return PrimitiveType("timestamp"), "date widens to timestamp"
    if {na, nb} <= {"string", None} and (isinstance(a, CharType) or isinstance(b, CharType)):
        return STRING, "character types widen to string"
    return None


def widen(a: GlueType, b: GlueType, path: str = "", trace: Trace | None = None) -> GlueType:
    """The narrowest type holding values of both ``a`` and ``b`` (see the module rule)."""
    if a == b:
        return a
    if isinstance(a, NullType):
        return b
    if isinstance(b, NullType):
        return a
    if isinstance(a, StructType) and isinstance(b, StructType):
        return _widen_struct(a, b, path, trace)
    if isinstance(a, ArrayType) and isinstance(b, ArrayType):
        return ArrayType(widen(a.element, b.element, f"{path}[]", trace))
    if isinstance(a, MapType) and isinstance(b, MapType):
        return MapType(
            widen(a.key, b.key, f"{path}{{key}}", trace),
            widen(a.value, b.value, f"{path}{{value}}", trace),
        )
    found = _widen_primitive(a, b)
    if found is not None:
        result, why = found
        if trace is not None:
            trace.note(path, a, b, result, why)
        return result
    if trace is not None:
        trace.note(path, a, b, STRING, "incompatible types become string")
    return STRING


def _widen_struct(a: StructType, b: StructType, path: str, trace: Trace | None) -> StructType:
    fields: dict[str, GlueType] = {f.name: f.type for f in a.fields}
    for f in b.fields:
        sub = f"{path}.{f.name}" if path else f.name
        fields[f.name] = widen(fields[f.name], f.type, sub, trace) if f.name in fields else f.type
    return StructType(tuple(StructField(n, t) for n, t in fields.items()))


def resolve_nulls(t: GlueType) -> GlueType:
    """Replace every NULL (never saw a value) by ``string``."""
    if isinstance(t, NullType):
        return STRING
    if isinstance(t, ArrayType):
        return ArrayType(resolve_nulls(t.element))
    if isinstance(t, MapType):
        return MapType(resolve_nulls(t.key), resolve_nulls(t.value))
    if isinstance(t, StructType):
        return StructType(tuple(StructField(f.name, resolve_nulls(f.type)) for f in t.fields))
    return t


def merge_columns(
    schemas: Iterable[Sequence[tuple[str, GlueType]]], trace: Trace | None = None
) -> list[tuple[str, GlueType]]:
    """Union of column lists in first-seen order, same-named columns widened."""
    merged: dict[str, GlueType] = {}
    for schema in schemas:
        for name, t in schema:
            merged[name] = widen(merged[name], t, name, trace) if name in merged else t
    return list(merged.items())
