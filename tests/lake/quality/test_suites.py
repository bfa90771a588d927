"""GX suite files: GX 1.x's JSON shape and a YAML equivalent, checked against GX itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lake.quality import (
    InvalidExpectationError,
    RuleAction,
    SuiteFormatError,
    TableSuite,
    UnknownExpectationError,
    expectation_types,
    load_suite,
    parse_suite,
)

SUITE = {
    "name": "silver_vitals",
    "meta": {"action": "warn"},
    "expectations": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "record_id"},
         "meta": {"action": "fail", "name": "unique_record_id"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "age", "mostly": 0.95}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 10000}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "status", "value_set": ["ok", "warn"]}},
        {"type": "expect_column_kl_divergence_to_be_less_than",
         "kwargs": {"column": "hr", "partition_object": {"bins": [60, 80, 100], "weights": [0.5, 0.5]},
                    "threshold": 0.1}},
    ],
}

YAML = """\
name: silver_vitals
meta: {action: warn}
expectations:
  - type: expect_column_values_to_be_unique
    kwargs: {column: record_id}
    meta: {action: fail, name: unique_record_id}
  - type: expect_column_values_to_not_be_null
    kwargs: {column: age, mostly: 0.95}
  - type: expect_table_row_count_to_be_between
    kwargs: {min_value: 1, max_value: 10000}
  - type: expect_column_values_to_be_in_set
    kwargs:
      column: status
      value_set: [ok, warn]
  - type: expect_column_kl_divergence_to_be_less_than
    kwargs:
      column: hr
      partition_object: {bins: [60, 80, 100], weights: [0.5, 0.5]}
      threshold: 0.1
"""


def _check(suite: TableSuite) -> None:
    assert suite.name == "silver_vitals"
    assert [r.name for r in suite.rules] == [
        "unique_record_id",
        "expect_column_values_to_not_be_null(age)",
        "expect_table_row_count_to_be_between",
        "expect_column_values_to_be_in_set(status)",
        "expect_column_kl_divergence_to_be_less_than(hr)",
    ]
    assert [r.action for r in suite.rules] == [RuleAction.FAIL] + [RuleAction.WARN] * 4
    assert suite.rules[1].kwargs == {"column": "age", "mostly": 0.95}


def test_json_suite_in_gx_shape_loads(tmp_path: Path) -> None:
    path = tmp_path / "vitals.json"
    path.write_text(json.dumps(SUITE))
    suite = load_suite(path)
    _check(suite)
    assert suite.source == str(path)


def test_yaml_suite_loads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "vitals.yaml"
    path.write_text(YAML)
    _check(load_suite(path))


def test_suite_round_trips_through_gx_own_objects() -> None:
    import great_expectations as gx

    suite = parse_suite(SUITE)
    gx_suite = suite.to_gx_suite()
    assert isinstance(gx_suite, gx.ExpectationSuite)
    assert [e.expectation_type for e in gx_suite.expectations] == [r.type for r in suite.rules]
    exported = json.loads(json.dumps(gx_suite.to_json_dict()))  # GX's own JSON loads back
    again = parse_suite(exported, source="gx-export")
    assert [(r.name, r.type, r.action) for r in again.rules] == [(r.name, r.type, r.action) for r in suite.rules]


def test_gx_0x_spellings_are_accepted_and_name_defaults_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "legacy.yml"
    path.write_text("expectations:\n  - expectation_type: expect_column_to_exist\n    kwargs: {column: id}\n")
    suite = load_suite(path)
    assert suite.name == "legacy" and suite.rules[0].type == "expect_column_to_exist"


def test_unknown_expectation_lists_close_matches() -> None:
    bad = {"name": "s", "expectations": [{"type": "expect_column_values_to_be_uniq", "kwargs": {"column": "a"}}]}
    with pytest.raises(UnknownExpectationError) as info:
        parse_suite(bad, source="s.json")
    assert info.value.expectation == "expect_column_values_to_be_uniq"
    assert info.value.suggestions[0] == "expect_column_values_to_be_unique"
    assert "s.json expectations[0]" in str(info.value) and "close matches" in str(info.value)


def test_camel_case_class_name_suggests_the_snake_case_type() -> None:
    bad = {"name": "s", "expectations": [{"type": "ExpectColumnValuesToBeUnique", "kwargs": {"column": "a"}}]}
    with pytest.raises(UnknownExpectationError) as info:
        parse_suite(bad)
    assert "expect_column_values_to_be_unique" in info.value.suggestions


def test_arguments_are_checked_by_gx() -> None:
    bad = {"name": "s", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"colum": "age", "mostly": 1.5}}]}
    with pytest.raises(InvalidExpectationError) as info:
        parse_suite(bad)
    text = str(info.value)
    assert "column: field required" in text and "colum: extra fields not permitted" in text
    assert "mostly" in text and "\n" not in text


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"name": "s", "expectation": []}, "unknown suite keys ['expectation']"),
        ({"name": "s", "expectations": {}}, "'expectations' must be a list"),
        ({"name": "s", "expectations": [{"type": "expect_column_to_exist", "kwarg": {}}]}, "unknown keys ['kwarg']"),
        ({"name": "s", "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "a"},
                                         "meta": {"action": "drop"}}]}, "meta.action must be warn | fail"),
        ({"expectations": []}, "needs a 'name'"),
        ([1, 2], "must be a mapping"),
    ],
)
def test_malformed_suites_say_what_is_wrong(document: object, message: str) -> None:
    with pytest.raises(SuiteFormatError, match=message.replace("[", r"\[").replace("]", r"\]").replace("|", r"\|")):
        parse_suite(document)


def test_unreadable_files_name_the_position(tmp_path: Path) -> None:
    broken = tmp_path / "s.json"
    broken.write_text('{"name": "s", "expectations": [}')
    with pytest.raises(SuiteFormatError, match="invalid JSON at line 1, column 32"):
        load_suite(broken)
    yaml_file = tmp_path / "s.yaml"
    yaml_file.write_text("name: s\nexpectations: [\n")
    with pytest.raises(SuiteFormatError, match="invalid YAML at line 3"):
        load_suite(yaml_file)
    with pytest.raises(SuiteFormatError, match="use .json, .yaml or .yml"):
        load_suite(tmp_path / "s.txt")


def test_repeated_rule_names_get_a_suffix() -> None:
    item = {"type": "expect_column_to_exist", "kwargs": {"column": "a"}}
    suite = parse_suite({"name": "s", "expectations": [item, item]})
    assert [r.name for r in suite.rules] == ["expect_column_to_exist(a)", "expect_column_to_exist(a) #2"]


def test_registry_holds_the_core_expectations() -> None:
    names = expectation_types()
    assert {"expect_column_values_to_be_unique", "expect_column_kl_divergence_to_be_less_than",
            "expect_table_row_count_to_be_between"} <= names
