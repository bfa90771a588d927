"""Request bodies → validated columns, checked against the model's signature.

Accepted bodies (SageMaker's conventions):

* ``application/json``: one record object, a list of records, or ``{"instances": [...]}``; a
  record is an object ``{field: value}`` or a list of values in signature order. Numbers must
  be JSON numbers (a quoted ``"42"`` is refused: it is usually a client bug), booleans JSON
  booleans, text JSON strings; ``null`` is a missing value. ``NaN``/``Infinity`` are not JSON.
* ``text/csv``: rows without a header, one value per signature field in signature order; an
  empty field is a missing value.

A missing field is an error naming it (send ``null`` for an unknown value); an unknown field is
an error too unless the server ignores extra fields (``extra="ignore"``). A null where the model
cannot take one (a column that is not imputed) is an error, as Spark would fail on it.
Every error is a :class:`~lake.ml.errors.BadRequestError` with a one-line reason.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lake.ml.errors import BadRequestError
from lake.ml.export.signature import Field, Signature

__all__ = ["CSV", "EXTRA_FIELD_POLICIES", "JSON", "Columns", "columns_from_records", "media_type", "parse_body"]

JSON = "application/json"
CSV = "text/csv"
EXTRA_FIELD_POLICIES = ("reject", "ignore")
_LIMITS = {"long": 2**63, "integer": 2**31, "short": 2**15, "byte": 2**7}


@dataclass(frozen=True)
class Columns:
    """Validated values per field (signature order) for ``count`` records."""

    values: Mapping[str, list[Any]]
    count: int


def media_type(content_type: str | None) -> str:
    """``text/csv; charset=utf-8`` → ``text/csv``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_body(body: bytes, content_type: str | None, signature: Signature, *, extra: str = "reject") -> Columns:
    """Decode and validate a request body."""
    kind = media_type(content_type)
    if kind not in (JSON, CSV):
        raise BadRequestError(reason=f"unsupported content type {kind or '(none)'!r}; send {JSON} or {CSV}",
                              status=415)
    if not body:
        raise BadRequestError(reason="empty request body; send one record or a list of records")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequestError(reason=f"the body is not UTF-8 text (byte {exc.start})") from None
    if kind == CSV:
        return _csv_columns(text, signature)
    return columns_from_records(_json_records(text, signature), signature, extra=extra)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _json_records(text: str, signature: Signature) -> list[Any]:
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        raise BadRequestError(reason=f"malformed JSON: {exc}") from None
    if isinstance(data, dict):
        if set(data) == {"instances"} and signature.field("instances") is None:
            data = data["instances"]
            if not isinstance(data, list):
                raise BadRequestError(reason="\"instances\" must be a list of records")
        else:
            return [data]
    if not isinstance(data, list):
        raise BadRequestError(reason=f"expected a JSON object (one record), a list of records or "
                              f"{{\"instances\": [...]}}, got {_kind(data)}")
    if not data:
        raise BadRequestError(reason="no records in the request")
    return data


def columns_from_records(records: Sequence[Any], signature: Signature, *, extra: str = "reject") -> Columns:
    """Validate JSON-style records (objects or value lists) into columns."""
    if extra not in EXTRA_FIELD_POLICIES:
        raise ValueError(f"extra must be one of {EXTRA_FIELD_POLICIES}, got {extra!r}")
    if not records:
        raise BadRequestError(reason="no records in the request")
    fields = signature.fields
    names = {f.name for f in fields}
    values: dict[str, list[Any]] = {f.name: [] for f in fields}
    for r, record in enumerate(records):
        if isinstance(record, Mapping):
            if extra == "reject":
                unknown = next((k for k in record if k not in names), None)
                if unknown is not None:
                    raise BadRequestError(reason=f"record {r}: unknown field {str(unknown)[:60]!r}; the model takes "
                                          f"{_listing(signature)}")
            for f in fields:
                if f.name not in record:
                    raise BadRequestError(reason=f"record {r}: missing field {f.name!r} (send null for a missing "
                                          "value)")
                values[f.name].append(_from_json(f, record[f.name], r))
        elif isinstance(record, list):
            if len(record) != len(fields):
                raise BadRequestError(reason=f"record {r}: expected {len(fields)} values ({_listing(signature)}), "
                                      f"got {len(record)}")
            for f, value in zip(fields, record, strict=True):
                values[f.name].append(_from_json(f, value, r))
        else:
            raise BadRequestError(reason=f"record {r}: expected an object or a list of values, got {_kind(record)}")
    return Columns(values, len(records))


def _csv_columns(text: str, signature: Signature) -> Columns:
    fields = signature.fields
    values: dict[str, list[Any]] = {f.name: [] for f in fields}
    count = 0
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise BadRequestError(reason=f"malformed CSV: {exc}") from None
    for row in rows:
        if not row:
            continue
        if len(row) != len(fields):
            raise BadRequestError(reason=f"CSV row {count}: expected {len(fields)} values ({_listing(signature)}), "
                                  f"got {len(row)}")
        for f, text_value in zip(fields, row, strict=True):
            values[f.name].append(_from_text(f, text_value, count))
        count += 1
    if count == 0:
        raise BadRequestError(reason="no records in the request")
    return Columns(values, count)


def _listing(signature: Signature, limit: int = 12) -> str:
    names = list(signature.names)
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names)} fields)" if len(names) > limit else "")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _null(f: Field, r: int) -> None:
    if not f.nullable:
        raise BadRequestError(reason=f"record {r}: field {f.name!r} is null, but the model needs a value there "
                              "(it is not imputed)")


def _from_json(f: Field, value: Any, r: int) -> Any:
    if value is None:
        _null(f, r)
        return None
    if f.is_string:
        if not isinstance(value, str):
            raise BadRequestError(reason=f"record {r}: field {f.name!r} expects a string, got {_kind(value)}")
        return _category(f, value, r)
    if f.type == "boolean":
        if not isinstance(value, bool):
            raise BadRequestError(reason=f"record {r}: field {f.name!r} expects true or false, got {_kind(value)}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequestError(reason=f"record {r}: field {f.name!r} expects a number, got {_kind(value)}")
    return _number(f, value, r)


def _from_text(f: Field, text: str, r: int) -> Any:
    if text == "":
        _null(f, r)
        return None
    if f.is_string:
        return _category(f, text, r)
    if f.type == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise BadRequestError(reason=f"CSV row {r}: field {f.name!r} expects true or false, got {text[:40]!r}")
    try:
        number: int | float = int(text) if f.is_integral else float(text)
    except ValueError:
        raise BadRequestError(reason=f"CSV row {r}: field {f.name!r} expects "
                              f"{'an integer' if f.is_integral else 'a number'}, got {text[:40]!r}") from None
    return _number(f, number, r)


def _number(f: Field, value: int | float, r: int) -> int | float:
    if isinstance(value, float) and not math.isfinite(value):
        raise BadRequestError(reason=f"record {r}: field {f.name!r} is not a finite number")
    if f.is_integral:
        if isinstance(value, float):
            if not value.is_integer():
                raise BadRequestError(reason=f"record {r}: field {f.name!r} expects an integer, got {value!r}")
            value = int(value)
        limit = _LIMITS[f.type]
        if not -limit <= value < limit:
            raise BadRequestError(reason=f"record {r}: field {f.name!r} is out of range for a {f.type}")
        return value
    try:
        return float(value)
    except OverflowError:
        raise BadRequestError(reason=f"record {r}: field {f.name!r} is out of range for a double") from None


def _category(f: Field, value: str, r: int) -> str:
    if f.categories is not None and value not in f.categories:
        known = ", ".join(repr(c) for c in f.categories[:10])
        raise BadRequestError(reason=f"record {r}: field {f.name!r} has unknown value {value[:40]!r}; known: "
                              f"{known}{', …' if len(f.categories) > 10 else ''}")
    return value
