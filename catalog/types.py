"""Glue (Hive) type names: parse, validate, normalise, and convert from pyarrow and Spark.

Glue column types are Hive type strings: ``boolean tinyint smallint int bigint float double
decimal(p,s) string char(n) varchar(n) date timestamp binary array<T> map<K,V>
struct<name:T,…>``. :func:`parse_type` turns one into a small immutable tree;
``str(tree)`` is the canonical spelling Glue's own crawler writes (lower case, no spaces).

Conversions (lossless where the Glue type system allows):

=====================  =============================================================
pyarrow                Glue
=====================  =============================================================
bool                   boolean
int8/16/32/64          tinyint/smallint/int/bigint
uint8/16/32            smallint/int/bigint (next wider signed type)
uint64                 decimal(20,0)
float16/32, float64    float, double
decimal(p,s)           decimal(p,s); precision > 38 → string
string, large_string   string
binary, fixed binary   binary
date32/64              date
timestamp(any unit/tz) timestamp
time32/64, null        string
duration               bigint
list/large/fixed list  array<T>
map, struct            map<K,V>, struct<…>
dictionary             the value type
=====================  =============================================================

Spark types convert the same way (``integer`` → ``int``, ``long`` → ``bigint``,
``timestamp_ntz`` → ``timestamp``, ``void`` and intervals → ``string``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from catalog.errors import InvalidTypeError

__all__ = [
    "MAX_DECIMAL_PRECISION",
    "PRIMITIVE_TYPES",
    "ArrayType",
    "CharType",
    "DecimalType",
    "GlueType",
    "MapType",
    "PrimitiveType",
    "StructField",
    "StructType",
    "from_arrow",
    "from_arrow_schema",
    "from_spark",
    "is_valid_type",
    "normalize_type",
    "parse_type",
    "to_arrow",
    "to_spark_ddl",
]

MAX_DECIMAL_PRECISION = 38
PRIMITIVE_TYPES = frozenset(
    {
        "boolean",
        "tinyint",
        "smallint",
        "int",
        "bigint",
        "float",
        "double",
        "string",
        "date",
        "timestamp",
        "binary",
    }
)
# Spellings other engines use for the same primitive type.
_ALIASES = {
    "integer": "int",
    "long": "bigint",
    "short": "smallint",
    "byte": "tinyint",
    "bool": "boolean",
    "real": "float",
    "timestamp_ntz": "timestamp",
    "timestamp_ltz": "timestamp",
}


class GlueType:
    """Base of the parsed type tree; ``str()`` gives the canonical Glue spelling."""

    @property
    def is_primitive(self) -> bool:
        return isinstance(self, PrimitiveType | DecimalType | CharType)


@dataclass(frozen=True)
class PrimitiveType(GlueType):
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class DecimalType(GlueType):
    precision: int = 10
    scale: int = 0

    def __str__(self) -> str:
        return f"decimal({self.precision},{self.scale})"


@dataclass(frozen=True)
class CharType(GlueType):
    """``char(n)`` or ``varchar(n)`` (``kind`` says which)."""

    kind: str
    length: int

    def __str__(self) -> str:
        return f"{self.kind}({self.length})"


@dataclass(frozen=True)
class ArrayType(GlueType):
    element: GlueType

    def __str__(self) -> str:
        return f"array<{self.element}>"


@dataclass(frozen=True)
class MapType(GlueType):
    key: GlueType
    value: GlueType

    def __str__(self) -> str:
        return f"map<{self.key},{self.value}>"


@dataclass(frozen=True)
class StructField:
    name: str
    type: GlueType

    def __str__(self) -> str:
        return f"{_quote_field(self.name)}:{self.type}"


@dataclass(frozen=True)
class StructType(GlueType):
    fields: tuple[StructField, ...]

    def __str__(self) -> str:
        return "struct<" + ",".join(str(f) for f in self.fields) + ">"

    def field(self, name: str) -> StructField | None:
        return next((f for f in self.fields if f.name == name), None)


def _quote_field(name: str) -> str:
    if any(ch in name for ch in ":,<>`") or name != name.strip() or not name:
        return "`" + name.replace("`", "``") + "`"
    return name


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def fail(self, reason: str) -> InvalidTypeError:
        return InvalidTypeError(self.text, reason, self.pos)

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_ws()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            found = repr(self.text[self.pos]) if self.pos < len(self.text) else "end of input"
            raise self.fail(f"expected {ch!r}, found {found}")
        self.pos += 1

    def word(self) -> str:
        self.skip_ws()
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] == "_"
        ):
            self.pos += 1
        if start == self.pos:
            raise self.fail("expected a type name")
        return self.text[start : self.pos].lower()

    def integer(self) -> int:
        self.skip_ws()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isdigit():
            self.pos += 1
        if start == self.pos:
            raise self.fail("expected an integer")
        return int(self.text[start : self.pos])

    def field_name(self) -> str:
        self.skip_ws()
        if self.peek() == "`":
            self.pos += 1
            out: list[str] = []
            while True:
                if self.pos >= len(self.text):
                    raise self.fail("unterminated `quoted` field name")
                ch = self.text[self.pos]
                self.pos += 1
                if ch == "`":
                    if self.pos < len(self.text) and self.text[self.pos] == "`":
                        out.append("`")
                        self.pos += 1
                        continue
                    return "".join(out)
                out.append(ch)
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ":,<>":
            self.pos += 1
        name = self.text[start : self.pos].strip()
        if not name:
            raise self.fail("empty struct field name")
        return name

    def parse(self) -> GlueType:
        result = self.type_()
        self.skip_ws()
        if self.pos != len(self.text):
            raise self.fail("unexpected trailing text")
        return result

    def type_(self) -> GlueType:
        start = self.pos
        name = self.word()
        name = _ALIASES.get(name, name)
        if name in ("decimal", "numeric", "dec"):
            if self.peek() != "(":
                return DecimalType()
            self.expect("(")
            precision = self.integer()
            scale = 0
            if self.peek() == ",":
                self.pos += 1
                scale = self.integer()
            self.expect(")")
            if not 1 <= precision <= MAX_DECIMAL_PRECISION:
                self.pos = start
                raise self.fail(f"decimal precision must be 1..{MAX_DECIMAL_PRECISION}")
            if not 0 <= scale <= precision:
                self.pos = start
                raise self.fail("decimal scale must be 0..precision")
            return DecimalType(precision, scale)
        if name in ("char", "varchar"):
            self.expect("(")
            length = self.integer()
            self.expect(")")
            if length < 1:
                self.pos = start
                raise self.fail(f"{name} length must be positive")
            return CharType(name, length)
        if name == "array":
            self.expect("<")
            element = self.type_()
            self.expect(">")
            return ArrayType(element)
        if name == "map":
            self.expect("<")
            key = self.type_()
            self.expect(",")
            value = self.type_()
            self.expect(">")
            return MapType(key, value)
        if name == "struct":
            self.expect("<")
            fields: list[StructField] = []
            if self.peek() == ">":
                self.pos += 1
                return StructType(())
            while True:
                fname = self.field_name()
                self.expect(":")
                fields.append(StructField(fname, self.type_()))
                if self.peek() == ",":
                    self.pos += 1
                    continue
                self.expect(">")
                return StructType(tuple(fields))
        if name in PRIMITIVE_TYPES:
            return PrimitiveType(name)
        self.pos = start
        raise self.fail(f"unknown type {name!r}")


def parse_type(text: str) -> GlueType:
    """Parse a Glue/Hive type string; raises :class:`InvalidTypeError` naming the position."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidTypeError(str(text), "empty type")
    return _Parser(text).parse()


def normalize_type(text: str) -> str:
    """The canonical Glue spelling of ``text`` (``INTEGER`` → ``int``, spaces removed)."""
    return str(parse_type(text))


def is_valid_type(text: str) -> bool:
    try:
        parse_type(text)
    except InvalidTypeError:
        return False
    return True


def from_arrow(dtype: pa.DataType) -> str:
    """The Glue type string for a pyarrow type (see the module table)."""
    return str(_from_arrow(dtype))


def from_arrow_schema(schema: pa.Schema) -> list[tuple[str, str]]:
    """``[(column name, Glue type)]`` for every field of a pyarrow schema."""
    return [(f.name, from_arrow(f.type)) for f in schema]


def _from_arrow(t: pa.DataType) -> GlueType:
    pt = pa.types
    if pt.is_dictionary(t):
        return _from_arrow(t.value_type)
    if pt.is_boolean(t):
        return PrimitiveType("boolean")
    for check, name in (
        (pt.is_int8, "tinyint"),
        (pt.is_int16, "smallint"),
        (pt.is_int32, "int"),
        (pt.is_int64, "bigint"),
        (pt.is_uint8, "smallint"),
        (pt.is_uint16, "int"),
        (pt.is_uint32, "bigint"),
        (pt.is_float16, "float"),
        (pt.is_float32, "float"),
        (pt.is_float64, "double"),
        (pt.is_date, "date"),
        (pt.is_timestamp, "timestamp"),
        (pt.is_duration, "bigint"),
        (pt.is_time, "string"),
        (pt.is_null, "string"),
    ):
        if check(t):
            return PrimitiveType(name)
    if pt.is_uint64(t):
        return DecimalType(20, 0)
    if pt.is_decimal(t):
        if t.precision > MAX_DECIMAL_PRECISION:
            return PrimitiveType("string")
        return DecimalType(t.precision, t.scale)
    if pt.is_string(t) or pt.is_large_string(t) or pt.is_string_view(t):
        return PrimitiveType("string")
    if (
        pt.is_binary(t)
        or pt.is_large_binary(t)
        or pt.is_fixed_size_binary(t)
        or pt.is_binary_view(t)
    ):
        return PrimitiveType("binary")
    if pt.is_map(t):
        return MapType(_from_arrow(t.key_type), _from_arrow(t.item_type))
    if (
        pt.is_list(t)
        or pt.is_large_list(t)
        or pt.is_fixed_size_list(t)
        or pt.is_list_view(t)
        or pt.is_large_list_view(t)
    ):
        return ArrayType(_from_arrow(t.value_type))
    if pt.is_struct(t):
        return StructType(tuple(StructField(f.name, _from_arrow(f.type)) for f in t))
    raise InvalidTypeError(str(t), "no Glue equivalent for this pyarrow type")


_SPARK_PRIMITIVES = {
    "boolean": "boolean",
    "byte": "tinyint",
    "short": "smallint",
    "integer": "int",
    "long": "bigint",
    "float": "float",
    "double": "double",
    "string": "string",
    "binary": "binary",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_ntz": "timestamp",
    "null": "string",
    "void": "string",
    "variant": "string",
}


def from_spark(dtype: Any) -> str:
    """The Glue type string for a Spark type.

    Accepts a ``pyspark.sql.types.DataType``, its ``jsonValue()`` (a name such as
    ``"integer"`` or a dict), a JSON string, or a Spark DDL/simple string (``struct<a:int>``).
    pyspark itself is never imported.
    """
    if hasattr(dtype, "jsonValue"):
        dtype = dtype.jsonValue()
    if isinstance(dtype, str):
        stripped = dtype.strip()
        if stripped.startswith(("{", '"')):
            dtype = json.loads(stripped)
        else:
            return str(_from_spark_json(stripped))
    return str(_from_spark_json(dtype))


def _from_spark_json(value: Any) -> GlueType:
    if isinstance(value, str):
        name = value.strip().lower()
        if name in _SPARK_PRIMITIVES:
            return PrimitiveType(_SPARK_PRIMITIVES[name])
        if name.startswith("interval") or name.endswith("interval"):
            return PrimitiveType("string")
        if name.startswith(("char(", "varchar(")):
            return PrimitiveType("string")
        return parse_type(value)
    if isinstance(value, dict):
        kind = value.get("type")
        if kind == "array":
            return ArrayType(_from_spark_json(value["elementType"]))
        if kind == "map":
            return MapType(_from_spark_json(value["keyType"]), _from_spark_json(value["valueType"]))
        if kind == "struct":
            return StructType(
                tuple(StructField(f["name"], _from_spark_json(f["type"])) for f in value["fields"])
            )
        if kind == "udt" and "sqlType" in value:
            return _from_spark_json(value["sqlType"])
    raise InvalidTypeError(str(value), "not a Spark data type")


def to_arrow(text: str | GlueType) -> pa.DataType:
    """The pyarrow type for a Glue type (timestamps as microseconds without time zone)."""
    t = parse_type(text) if isinstance(text, str) else text
    if isinstance(t, PrimitiveType):
        return {
            "boolean": pa.bool_(),
            "tinyint": pa.int8(),
            "smallint": pa.int16(),
            "int": pa.int32(),
            "bigint": pa.int64(),
            "float": pa.float32(),
            "double": pa.float64(),
            "string": pa.string(),
            "date": pa.date32(),
            "timestamp": pa.timestamp("us"),
            "binary": pa.binary(),
        }[t.name]
    if isinstance(t, DecimalType):
        return pa.decimal128(t.precision, t.scale)
    if isinstance(t, CharType):
        return pa.string()
    if isinstance(t, ArrayType):
        return pa.list_(to_arrow(t.element))
    if isinstance(t, MapType):
        return pa.map_(to_arrow(t.key), to_arrow(t.value))
    if isinstance(t, StructType):
        return pa.struct([pa.field(f.name, to_arrow(f.type)) for f in t.fields])
    raise InvalidTypeError(str(t), "unsupported type node")


def to_spark_ddl(text: str | GlueType) -> str:
    """A Spark SQL DDL type string (struct field names back-quoted)."""
    t = parse_type(text) if isinstance(text, str) else text
    if isinstance(t, ArrayType):
        return f"array<{to_spark_ddl(t.element)}>"
    if isinstance(t, MapType):
        return f"map<{to_spark_ddl(t.key)},{to_spark_ddl(t.value)}>"
    if isinstance(t, StructType):
        inner = ",".join(
            "`" + f.name.replace("`", "``") + "`:" + to_spark_ddl(f.type) for f in t.fields
        )
        return f"struct<{inner}>"
    return str(t)
