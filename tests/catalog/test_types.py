"""Glue type strings: parsing, canonical spelling, conversion from pyarrow and Spark."""

from __future__ import annotations

import pyarrow as pa
import pytest

from catalog.errors import InvalidTypeError
from catalog.types import (
    ArrayType,
    DecimalType,
    MapType,
    PrimitiveType,
    StructField,
    StructType,
    from_arrow,
    from_arrow_schema,
    from_spark,
    is_valid_type,
    normalize_type,
    parse_type,
    to_arrow,
    to_spark_ddl,
)


@pytest.mark.parametrize(
    "text",
    [
        "boolean",
        "tinyint",
        "smallint",
        "int",
        "bigint",
        "float",
        "double",
        "decimal(38,10)",
        "string",
        "char(3)",
        "varchar(20)",
        "date",
        "timestamp",
        "binary",
        "array<int>",
        "map<string,array<double>>",
        "struct<a:int,b:struct<c:string>>",
        "struct<>",
    ],
)
def test_canonical_types_round_trip(text: str) -> None:
    assert str(parse_type(text)) == text


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("INTEGER", "int"),
        ("Long", "bigint"),
        ("short", "smallint"),
        ("byte", "tinyint"),
        ("decimal", "decimal(10,0)"),
        ("DECIMAL( 5 , 2 )", "decimal(5,2)"),
        ("numeric(4)", "decimal(4,0)"),
        ("ARRAY < STRUCT < a : INT , b : STRING > >", "array<struct<a:int,b:string>>"),
        ("struct<`a:b`:int, `x``y`:string>", "struct<`a:b`:int,`x``y`:string>"),
        ("timestamp_ntz", "timestamp"),
    ],
)
def test_aliases_and_spacing_normalize(text: str, canonical: str) -> None:
    assert normalize_type(text) == canonical


def test_parse_tree() -> None:
    tree = parse_type("struct<id:bigint,tags:array<string>,m:map<string,decimal(5,2)>>")
    assert tree == StructType(
        (
            StructField("id", PrimitiveType("bigint")),
            StructField("tags", ArrayType(PrimitiveType("string"))),
            StructField("m", MapType(PrimitiveType("string"), DecimalType(5, 2))),
        )
    )
    assert isinstance(tree, StructType) and tree.field("tags") is not None
    assert not tree.is_primitive and DecimalType(5, 2).is_primitive


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("array<int", "expected '>'"),
        ("map<string>", "expected ','"),
        ("struct<a int>", "expected ':'"),
        ("decimal(40,2)", "precision"),
        ("decimal(5,6)", "scale"),
        ("int32", "unknown type"),
        ("int extra", "trailing"),
        ("", "empty"),
    ],
)
def test_invalid_types_say_why_and_where(text: str, reason: str) -> None:
    with pytest.raises(InvalidTypeError, match=reason) as err:
        parse_type(text)
    assert err.value.type_string == text
    assert not is_valid_type(text)


@pytest.mark.parametrize(
    ("dtype", "glue"),
    [
        (pa.bool_(), "boolean"),
        (pa.int8(), "tinyint"),
        (pa.int16(), "smallint"),
        (pa.int32(), "int"),
        (pa.int64(), "bigint"),
        (pa.uint8(), "smallint"),
        (pa.uint32(), "bigint"),
        (pa.uint64(), "decimal(20,0)"),
        (pa.float16(), "float"),
        (pa.float32(), "float"),
        (pa.float64(), "double"),
        (pa.decimal128(12, 3), "decimal(12,3)"),
        (pa.decimal256(50, 2), "string"),
        (pa.string(), "string"),
        (pa.large_string(), "string"),
        (pa.binary(), "binary"),
        (pa.binary(16), "binary"),
        (pa.date32(), "date"),
        (pa.date64(), "date"),
        (pa.timestamp("ms"), "timestamp"),
        (pa.timestamp("ns", tz="UTC"), "timestamp"),
        (pa.time64("us"), "string"),
        (pa.null(), "string"),
        (pa.duration("s"), "bigint"),
        (pa.list_(pa.int64()), "array<bigint>"),
        (pa.large_list(pa.string()), "array<string>"),
        (pa.map_(pa.string(), pa.float64()), "map<string,double>"),
        (
            pa.struct([("a", pa.int32()), ("b c", pa.list_(pa.bool_()))]),
            "struct<a:int,b c:array<boolean>>",
        ),
        (pa.dictionary(pa.int32(), pa.string()), "string"),
    ],
)
def test_from_arrow(dtype: pa.DataType, glue: str) -> None:
    assert from_arrow(dtype) == glue


def test_from_arrow_schema() -> None:
    schema = pa.schema([("id", pa.int64()), ("at", pa.timestamp("us"))])
    assert from_arrow_schema(schema) == [("id", "bigint"), ("at", "timestamp")]


def test_from_spark_types() -> None:
    from pyspark.sql import types as T

    schema = T.StructType(
        [
            T.StructField("b", T.ByteType()),
            T.StructField("s", T.ShortType()),
            T.StructField("i", T.IntegerType()),
            T.StructField("l", T.LongType()),
            T.StructField("f", T.FloatType()),
            T.StructField("d", T.DoubleType()),
            T.StructField("dec", T.DecimalType(9, 3)),
            T.StructField("str", T.StringType()),
            T.StructField("bool", T.BooleanType()),
            T.StructField("date", T.DateType()),
            T.StructField("ts", T.TimestampType()),
            T.StructField("ntz", T.TimestampNTZType()),
            T.StructField("bin", T.BinaryType()),
            T.StructField("n", T.NullType()),
            T.StructField("arr", T.ArrayType(T.LongType())),
            T.StructField("m", T.MapType(T.StringType(), T.DoubleType())),
        ]
    )
    assert [from_spark(f.dataType) for f in schema.fields] == [
        "tinyint",
        "smallint",
        "int",
        "bigint",
        "float",
        "double",
        "decimal(9,3)",
        "string",
        "boolean",
        "date",
        "timestamp",
        "timestamp",
        "binary",
        "string",
        "array<bigint>",
        "map<string,double>",
    ]
    assert from_spark(schema).startswith("struct<b:tinyint,s:smallint,i:int,l:bigint")


def test_from_spark_json_and_ddl_strings() -> None:
    assert from_spark("long") == "bigint"
    assert (
        from_spark({"type": "array", "elementType": "integer", "containsNull": True})
        == "array<int>"
    )
    assert (
        from_spark(
            '{"type":"struct","fields":[{"name":"a","type":"short","nullable":true,"metadata":{}}]}'
        )
        == "struct<a:smallint>"
    )
    assert from_spark("struct<a:int,b:array<string>>") == "struct<a:int,b:array<string>>"
    assert from_spark("interval day to second") == "string"


@pytest.mark.parametrize(
    "glue",
    [
        "boolean",
        "bigint",
        "decimal(7,2)",
        "date",
        "timestamp",
        "binary",
        "array<struct<a:int,b:map<string,double>>>",
    ],
)
def test_to_arrow_inverts_from_arrow(glue: str) -> None:
    assert from_arrow(to_arrow(glue)) == glue


def test_to_spark_ddl_quotes_struct_fields() -> None:
    assert to_spark_ddl("struct<a b:int,c:array<struct<d:string>>>") == (
        "struct<`a b`:int,`c`:array<struct<`d`:string>>>"
    )
