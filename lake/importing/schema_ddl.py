"""``--schema "id INT, name STRING, amount DECIMAL(10,2)"`` → a pyarrow schema (parsed by sqlglot)."""

from __future__ import annotations

import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from lake.importing.errors import ImportOptionError

__all__ = ["SUPPORTED_TYPES", "parse_schema"]

_T = exp.DataType.Type
_SIMPLE: dict[object, pa.DataType] = {
    _T.TINYINT: pa.int8(),
    _T.SMALLINT: pa.int16(),
    _T.INT: pa.int32(),
    _T.BIGINT: pa.int64(),
    _T.FLOAT: pa.float32(),
    _T.DOUBLE: pa.float64(),
    _T.BOOLEAN: pa.bool_(),
    _T.TEXT: pa.string(),
    _T.VARCHAR: pa.string(),
    _T.CHAR: pa.string(),
    _T.DATE: pa.date32(),
    _T.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    _T.TIMESTAMPTZ: pa.timestamp("us", tz="UTC"),
    _T.TIMESTAMPNTZ: pa.timestamp("us"),
    _T.BINARY: pa.binary(),
}
SUPPORTED_TYPES = (
    "TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DECIMAL(p,s), BOOLEAN, STRING, VARCHAR(n), "
    "CHAR(n), DATE, TIMESTAMP, TIMESTAMP_NTZ, BINARY"
)


def parse_schema(ddl: str) -> pa.Schema:
    """Parse Spark-style column definitions; errors name the column or the position."""
    try:
        create = sqlglot.parse_one(f"CREATE TABLE t ({ddl})", read="spark")
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        col = max(int(first.get("col") or 0) - len("CREATE TABLE t ("), 0)
        raise ImportOptionError("--schema", f"cannot parse {ddl!r} near character {col}") from None
    fields = []
    for column in create.find_all(exp.ColumnDef):
        kind = column.args.get("kind")
        if not isinstance(kind, exp.DataType):
            raise ImportOptionError("--schema", f"column {column.name!r} has no type")
        fields.append(pa.field(column.name, _arrow_type(column.name, kind)))
    if not fields:
        raise ImportOptionError("--schema", "no columns given (expected e.g. 'id INT, name STRING')")
    names = [f.name for f in fields]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ImportOptionError("--schema", f"column {dupes[0]!r} appears twice")
    return pa.schema(fields)


def _arrow_type(column: str, kind: exp.DataType) -> pa.DataType:
    if kind.this == _T.DECIMAL:
        args = [int(e.sql()) for e in kind.expressions]
        precision, scale = (args + [10, 0][len(args):])[:2] if args else (10, 0)
        return pa.decimal128(precision, scale)
    if kind.this in _SIMPLE:
        return _SIMPLE[kind.this]
    shown = kind.sql(dialect="spark")
    reason = f"column {column!r}: type {shown} is not supported; use one of {SUPPORTED_TYPES}"
    raise ImportOptionError("--schema", reason)
