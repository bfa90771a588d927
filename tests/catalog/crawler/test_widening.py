"""The one widening rule: integer chain, date→timestamp, field-wise structs, else string."""

from __future__ import annotations

from itertools import permutations

import pytest

from catalog.crawler.widening import NULL, Trace, merge_columns, resolve_nulls, widen
from catalog.types import parse_type


def w(a: str, b: str) -> str:
    return str(widen(parse_type(a), parse_type(b)))


@pytest.mark.parametrize(
    ("a", "b", "result"),
    [
        ("tinyint", "smallint", "smallint"),
        ("smallint", "int", "int"),
        ("int", "bigint", "bigint"),
        ("bigint", "double", "double"),
        ("tinyint", "double", "double"),
        ("float", "float", "float"),
        ("float", "int", "double"),
        ("date", "timestamp", "timestamp"),
        ("decimal(10,2)", "decimal(5,4)", "decimal(12,4)"),
        ("decimal(10,2)", "int", "decimal(12,2)"),
        ("decimal(38,0)", "decimal(38,10)", "double"),
        ("decimal(10,2)", "double", "double"),
        ("boolean", "int", "string"),
        ("date", "int", "string"),
        ("binary", "string", "string"),
        ("array<int>", "array<double>", "array<double>"),
        ("array<int>", "int", "string"),
        ("map<string,int>", "map<string,bigint>", "map<string,bigint>"),
        ("struct<a:int>", "struct<a:bigint,b:string>", "struct<a:bigint,b:string>"),
        ("struct<a:int,b:boolean>", "struct<b:int>", "struct<a:int,b:string>"),
        ("struct<a:int>", "string", "string"),
    ],
)
def test_widening_pairs(a: str, b: str, result: str) -> None:
    assert w(a, b) == result


@pytest.mark.parametrize(("a", "b"), [("int", "double"), ("date", "timestamp"), ("boolean", "int")])
def test_widening_is_commutative(a: str, b: str) -> None:
    assert w(a, b) == w(b, a)


def test_order_of_files_does_not_change_the_result() -> None:
    types = ["tinyint", "int", "double", "bigint", "smallint"]
    results = set()
    for order in permutations(types):
        acc = parse_type(order[0])
        for t in order[1:]:
            acc = widen(acc, parse_type(t))
        results.add(str(acc))
    assert results == {"double"}


def test_null_yields_to_anything_and_resolves_to_string() -> None:
    assert str(widen(NULL, parse_type("int"))) == "int"
    assert str(resolve_nulls(NULL)) == "string"


def test_trace_records_each_decision_once() -> None:
    trace = Trace()
    merge_columns([[("a", parse_type("int"))], [("a", parse_type("double"))], [("a", parse_type("double"))]], trace)
    assert trace.lines == ["a: int + double → double (numeric widening)"]


def test_merge_columns_keeps_first_seen_order() -> None:
    cols = merge_columns(
        [[("b", parse_type("int")), ("a", parse_type("int"))], [("c", parse_type("int")), ("a", parse_type("bigint"))]]
    )
    assert [(n, str(t)) for n, t in cols] == [("b", "int"), ("a", "bigint"), ("c", "int")]
