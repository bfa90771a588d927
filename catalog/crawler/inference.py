"""Glue types of sampled values: parsed JSON values and CSV text fields.

JSON (what Glue's JSON classifier infers): ``boolean``; integers ``int`` when they fit in 32
bits, else ``bigint``, beyond 64 bits ``decimal(n,0)`` (more than 38 digits → ``string``);
other numbers ``double``; strings ``string`` (no date detection); arrays ``array<T>``;
objects ``struct<…>``; ``null`` carries no type.

CSV text fields: empty → no type; ``true``/``false`` (any case) → ``boolean``; integers as
for JSON; decimal or exponent numbers → ``double``; ``yyyy-MM-dd`` → ``date``;
``yyyy-MM-dd[ T]HH:mm[:ss[.fraction]][Z|±hh:mm]`` → ``timestamp``; anything else →
``string``.

Column names: top-level names are lower-cased and stripped (Glue/Hive store them that way);
nested struct field names keep their case.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from catalog.crawler.widening import NULL, STRING, Trace, resolve_nulls, widen
from catalog.types import ArrayType, DecimalType, GlueType, PrimitiveType, StructField, StructType

__all__ = [
    "column_name",
    "infer_json_value",
    "infer_text_value",
    "json_record_columns",
]

_INT32 = 2**31
_INT64 = 2**63
_BOOLEAN = PrimitiveType("boolean")
_INT = PrimitiveType("int")
_BIGINT = PrimitiveType("bigint")
_DOUBLE = PrimitiveType("double")
_DATE = PrimitiveType("date")
_TIMESTAMP = PrimitiveType("timestamp")

_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TS_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)


def _integer(value: int) -> GlueType:
    if -_INT32 <= value < _INT32:
        return _INT
    if -_INT64 <= value < _INT64:
        return _BIGINT
    digits = len(str(abs(value)))
    return DecimalType(digits, 0) if digits <= 38 else STRING


def infer_json_value(value: Any, path: str = "", trace: Trace | None = None) -> GlueType:
    """The Glue type of one parsed JSON value (``NULL`` for ``null``)."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return _BOOLEAN
    if isinstance(value, int):
        return _integer(value)
    if isinstance(value, float):
        return _DOUBLE
    if isinstance(value, str):
        return STRING
    if isinstance(value, list):
        element: GlueType = NULL
        for item in value:
            element = widen(element, infer_json_value(item, f"{path}[]", trace), f"{path}[]", trace)
        return ArrayType(element)
    if isinstance(value, Mapping):
        fields: dict[str, GlueType] = {}
        for key, item in value.items():
            sub = f"{path}.{key}" if path else str(key)
            t = infer_json_value(item, sub, trace)
            name = str(key)
            fields[name] = widen(fields[name], t, sub, trace) if name in fields else t
        return StructType(tuple(StructField(k, t) for k, t in fields.items()))
    return STRING


def json_record_columns(records: Iterable[Mapping[str, Any]], trace: Trace | None = None) -> list[tuple[str, GlueType]]:
    """Columns of JSON objects: names lower-cased, types widened over every record."""
    columns: dict[str, GlueType] = {}
    for record in records:
        for key, value in record.items():
            name = column_name(str(key))
            t = infer_json_value(value, name, trace)
            columns[name] = widen(columns[name], t, name, trace) if name in columns else t
    return [(name, resolve_nulls(t)) for name, t in columns.items()]


def _valid_date(y: str, m: str, d: str) -> bool:
    try:
        date(int(y), int(m), int(d))
    except ValueError:
        return False
    return True


def infer_text_value(text: str) -> GlueType:
    """The Glue type of one CSV field (``NULL`` for an empty field)."""
    value = text.strip()
    if not value:
        return NULL
    lower = value.lower()
    if lower in ("true", "false"):
        return _BOOLEAN
    if _INT_RE.fullmatch(value):
        return _integer(int(value))
    if _FLOAT_RE.fullmatch(value):
        return _DOUBLE if math.isfinite(float(value)) else STRING
    m = _DATE_RE.fullmatch(value)
    if m:
        return _DATE if _valid_date(*m.groups()) else STRING
    m = _TS_RE.fullmatch(value)
    if m:
        y, mo, d, hh, mm, ss = m.groups()[:6]
        try:
            datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss or 0))
        except ValueError:
            return STRING
        return _TIMESTAMP
    return STRING


def column_name(raw: str) -> str:
    """A top-level column name as Glue stores it: stripped and lower-cased."""
    return raw.strip().lower()
