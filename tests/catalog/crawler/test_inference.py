"""Glue types of JSON values and CSV text fields."""

from __future__ import annotations

import pytest

from catalog.crawler.inference import infer_json_value, infer_text_value, json_record_columns
from catalog.crawler.widening import NULL


@pytest.mark.parametrize(
    ("value", "glue"),
    [
        (True, "boolean"),
        (1, "int"),
        (2**31, "bigint"),
        (-(2**31), "int"),
        (2**70, "decimal(22,0)"),
        (1.5, "double"),
        ("2024-01-01", "string"),  # Glue's JSON classifier does not detect dates
        ([1, 2.5], "array<double>"),
        ([], "array<null>"),
        ({"a": {"b": [True]}}, "struct<a:struct<b:array<boolean>>>"),
    ],
)
def test_json_values(value: object, glue: str) -> None:
    assert str(infer_json_value(value)) == glue


def test_json_null_has_no_type() -> None:
    assert infer_json_value(None) == NULL


def test_json_columns_are_lower_cased_and_widened_across_records() -> None:
    cols = json_record_columns([{"Id": 1, "x": None}, {"id": 5_000_000_000, "x": None}])
    assert [(n, str(t)) for n, t in cols] == [("id", "bigint"), ("x", "string")]


@pytest.mark.parametrize(
    ("text", "glue"),
    [
        ("true", "boolean"),
        ("FALSE", "boolean"),
        ("42", "int"),
        ("-7", "int"),
        ("9999999999", "bigint"),
        ("2.5", "double"),
        ("1e10", "double"),
        (".5", "double"),
        ("2024-02-29", "date"),
        ("2023-02-29", "string"),
        ("2024-01-01 10:00:00", "timestamp"),
        ("2024-01-01T10:00:00.123Z", "timestamp"),
        ("2024-01-01T10:00+02:00", "timestamp"),
        ("abc", "string"),
        ("1,5", "string"),
        ("nan", "string"),
    ],
)
def test_csv_text_values(text: str, glue: str) -> None:
    assert str(infer_text_value(text)) == glue


def test_empty_csv_field_has_no_type() -> None:
    assert infer_text_value("  ") == NULL
