"""Request bodies against a signature: JSON and CSV forms, and a one-line 4xx reason for every bad input."""

from __future__ import annotations

import json

import pytest

from lake.ml.errors import BadRequestError
from lake.ml.export import Field, Signature
from lake.ml.serving.records import columns_from_records, parse_body

SIGNATURE = Signature(
    fields=(
        Field("age", "double", nullable=True),
        Field("visits", "integer", nullable=False),
        Field("smoker", "string", nullable=True),
        Field("active", "boolean", nullable=True),
        Field("plan", "string", nullable=False, categories=("basic", "gold")),
    ),
    probability=True,
    classes=("no", "yes"),
)
GOOD = {"age": 61.5, "visits": 3, "smoker": "never", "active": True, "plan": "gold"}


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


def _refused(body: bytes, content_type: str = "application/json", **kwargs: object) -> BadRequestError:
    with pytest.raises(BadRequestError) as caught:
        parse_body(body, content_type, SIGNATURE, **kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(caught.value)
    return caught.value


def test_one_record_a_list_and_instances_give_the_same_columns() -> None:
    one = parse_body(_json(GOOD), "application/json", SIGNATURE)
    listed = parse_body(_json([GOOD, GOOD]), "application/json; charset=utf-8", SIGNATURE)
    instances = parse_body(_json({"instances": [GOOD, list(GOOD.values())]}), "application/json", SIGNATURE)
    assert one.count == 1 and listed.count == 2 and instances.count == 2
    assert one.values["age"] == [61.5] and listed.values["visits"] == [3, 3]
    assert instances.values == listed.values


def test_csv_rows_follow_signature_order_and_empty_is_null() -> None:
    columns = parse_body(b"61.5,3,never,true,gold\n,4,,0,basic\n\n", "text/csv", SIGNATURE)
    assert columns.count == 2
    assert columns.values == {"age": [61.5, None], "visits": [3, 4], "smoker": ["never", None],
                              "active": [True, False], "plan": ["gold", "basic"]}
    quoted = parse_body(b'1,2,"a, b",false,basic', "text/csv", SIGNATURE)
    assert quoted.values["smoker"] == ["a, b"]


def test_nulls_are_missing_values_where_the_model_takes_them() -> None:
    columns = parse_body(_json({**GOOD, "age": None, "smoker": None, "active": None}), "application/json", SIGNATURE)
    assert columns.values["age"] == [None] and columns.values["smoker"] == [None]


@pytest.mark.parametrize(("body", "fragment"), [
    (b"{", "malformed JSON"),
    (b'{"age": NaN}', "malformed JSON"),
    (b"42", "got a number"),
    (b"[]", "no records"),
    (b'{"instances": 3}', "must be a list"),
    (b"[1]", "record 0: expected an object or a list of values"),
    (_json({k: v for k, v in GOOD.items() if k != "visits"}), "missing field 'visits'"),
    (_json({**GOOD, "colour": "red"}), "unknown field 'colour'"),
    (_json({**GOOD, "age": "61"}), "field 'age' expects a number, got a string"),
    (_json({**GOOD, "age": True}), "expects a number, got a boolean"),
    (_json({**GOOD, "visits": 2.5}), "expects an integer"),
    (_json({**GOOD, "visits": 2**40}), "out of range"),
    (_json({**GOOD, "age": 10**400}), "out of range for a double"),
    (_json({**GOOD, "visits": None}), "field 'visits' is null"),
    (_json({**GOOD, "smoker": 3}), "expects a string, got a number"),
    (_json({**GOOD, "active": "yes"}), "expects true or false"),
    (_json({**GOOD, "plan": "platinum"}), "unknown value 'platinum'"),
    (_json([list(GOOD.values())[:3]]), "expected 5 values"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_bad_json_is_refused_with_a_reason(body: bytes, fragment: str) -> None:
    error = _refused(body)
    assert error.status == 400 and fragment in str(error)


@pytest.mark.parametrize(("body", "fragment"), [
    (b"1,2,3", "expected 5 values"),
    (b"abc,2,x,true,gold", "field 'age' expects a number"),
    (b"1,2.5,x,true,gold", "expects an integer"),
    (b"1,,x,true,gold", "field 'visits' is null"),
    (b"1,2,x,maybe,gold", "expects true or false"),
    (b"1,2,x,true,", "field 'plan' is null"),
    (b"inf,2,x,true,gold", "not a finite number"),
])
def test_bad_csv_is_refused_with_a_reason(body: bytes, fragment: str) -> None:
    assert fragment in str(_refused(body, "text/csv"))


def test_empty_body_and_unsupported_type() -> None:
    assert "empty request body" in str(_refused(b""))
    unsupported = _refused(b"<a/>", "application/xml")
    assert unsupported.status == 415 and "text/csv" in str(unsupported)
    assert _refused(b"{}", "").status == 415


def test_extra_fields_can_be_ignored() -> None:
    columns = parse_body(_json({**GOOD, "colour": "red"}), "application/json", SIGNATURE, extra="ignore")
    assert columns.count == 1 and "colour" not in columns.values
    with pytest.raises(ValueError):
        columns_from_records([GOOD], SIGNATURE, extra="sometimes")


def test_a_field_named_instances_is_a_record_not_a_wrapper() -> None:
    signature = Signature(fields=(Field("instances", "double"),))
    columns = parse_body(_json({"instances": 2.0}), "application/json", signature)
    assert columns.values == {"instances": [2.0]}
