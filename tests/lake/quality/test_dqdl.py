"""DQDL (AWS Glue Data Quality) subset → the same GX expectations; clear errors for the rest."""

from __future__ import annotations

import pytest

from lake.quality import (
    SUPPORTED_RULE_TYPES,
    DqdlSyntaxError,
    RuleAction,
    UnsupportedDqdlRuleError,
    compile_dqdl,
    load_dqdl,
    parse_dqdl,
    run_table_rules,
)


def _one(text: str) -> list[tuple[str, dict]]:
    suite = compile_dqdl(f"Rules = [ {text} ]")
    return [(r.type, dict(r.kwargs)) for r in suite.rules]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ('IsComplete "id"', [("expect_column_values_to_not_be_null", {"column": "id"})]),
        ('IsComplete "id" with threshold >= 0.9',
         [("expect_column_values_to_not_be_null", {"column": "id", "mostly": 0.9})]),
        ('Completeness "c" > 0.95', [("expect_column_proportion_of_non_null_values_to_be_between",
                                      {"column": "c", "min_value": 0.95, "strict_min": True})]),
        ('IsUnique "record_id"', [("expect_column_values_to_be_unique", {"column": "record_id"})]),
        ('Uniqueness "c" >= 0.5', [("expect_column_proportion_of_unique_values_to_be_between",
                                    {"column": "c", "min_value": 0.5})]),
        ('ColumnValues "age" between 18 and 100', [("expect_column_values_to_be_between",
                                                    {"column": "age", "min_value": 18, "max_value": 100,
                                                     "strict_min": True, "strict_max": True})]),
        ('ColumnValues "s" in ["ok", "warn"]', [("expect_column_values_to_be_in_set",
                                                  {"column": "s", "value_set": ["ok", "warn"]})]),
        ('ColumnValues "n" in [1, 2, 3] with threshold > 0.8',
         [("expect_column_values_to_be_in_set", {"column": "n", "value_set": [1, 2, 3], "mostly": 0.8})]),
        ('ColumnValues "s" not in ["bad"]', [("expect_column_values_to_not_be_in_set",
                                              {"column": "s", "value_set": ["bad"]})]),
        ('ColumnValues "x" > 5', [("expect_column_values_to_be_between",
                                   {"column": "x", "min_value": 5, "strict_min": True})]),
        ('ColumnValues "x" >= -1.5', [("expect_column_values_to_be_between", {"column": "x", "min_value": -1.5})]),
        ('ColumnValues "x" < 5', [("expect_column_values_to_be_between",
                                   {"column": "x", "max_value": 5, "strict_max": True})]),
        ('ColumnValues "x" <= 5', [("expect_column_values_to_be_between", {"column": "x", "max_value": 5})]),
        ('ColumnValues "x" = "a"', [("expect_column_values_to_be_in_set", {"column": "x", "value_set": ["a"]})]),
        ('ColumnValues "x" != 3', [("expect_column_values_to_not_be_in_set", {"column": "x", "value_set": [3]})]),
        ('ColumnValues "d" matches "[a-z]+"', [("expect_column_values_to_match_regex",
                                                {"column": "d", "regex": "[a-z]+"})]),
        ('RowCount > 0', [("expect_table_row_count_to_be_between", {"min_value": 0, "strict_min": True})]),
        ('RowCount between 10 and 20', [("expect_table_row_count_to_be_between",
                                         {"min_value": 10, "max_value": 20, "strict_min": True, "strict_max": True})]),
        ('RowCount = 200', [("expect_table_row_count_to_equal", {"value": 200})]),
        ('ColumnCount >= 3', [("expect_table_column_count_to_be_between", {"min_value": 3})]),
        ('ColumnExists "hr"', [("expect_column_to_exist", {"column": "hr"})]),
        ('IsPrimaryKey "id"', [("expect_column_values_to_not_be_null", {"column": "id"}),
                               ("expect_column_values_to_be_unique", {"column": "id"})]),
        ('IsPrimaryKey "a" "b"', [("expect_column_values_to_not_be_null", {"column": "a"}),
                                  ("expect_column_values_to_not_be_null", {"column": "b"}),
                                  ("expect_compound_columns_to_be_unique", {"column_list": ["a", "b"]})]),
        ('DistinctValuesCount "device" = 5', [("expect_column_unique_value_count_to_be_between",
                                               {"column": "device", "min_value": 5, "max_value": 5})]),
        ('Mean "hr" between 60 and 100', [("expect_column_mean_to_be_between",
                                           {"column": "hr", "min_value": 60, "max_value": 100,
                                            "strict_min": True, "strict_max": True})]),
        ('Sum "hr" > 0', [("expect_column_sum_to_be_between", {"column": "hr", "min_value": 0, "strict_min": True})]),
        ('StandardDeviation "hr" < 20', [("expect_column_stdev_to_be_between",
                                          {"column": "hr", "max_value": 20, "strict_max": True})]),
        ('ColumnLength "device" between 1 and 10', [("expect_column_value_lengths_to_be_between",
                                                     {"column": "device", "min_value": 1, "max_value": 10,
                                                      "strict_min": True, "strict_max": True})]),
        ('ColumnLength "device" = 5', [("expect_column_value_lengths_to_equal", {"column": "device", "value": 5})]),
        ('ColumnLength "device" <= 8 with threshold >= 0.99',
         [("expect_column_value_lengths_to_be_between", {"column": "device", "max_value": 8, "mostly": 0.99})]),
    ],
)
def test_rule_compiles_to_gx_expectations(rule: str, expected: list) -> None:
    assert _one(rule) == expected


def test_every_supported_type_is_covered_above() -> None:
    covered = {"IsComplete", "Completeness", "IsUnique", "Uniqueness", "ColumnValues", "RowCount", "ColumnCount",
               "ColumnExists", "IsPrimaryKey", "DistinctValuesCount", "Mean", "Sum", "StandardDeviation",
               "ColumnLength"}
    assert set(SUPPORTED_RULE_TYPES) == covered


def test_rule_text_names_the_results_and_one_action_applies() -> None:
    text = """
    # vitals rules
    Metadata = { "Version": "1.0" }
    Rules = [
        IsComplete "record_id",
        ColumnValues   "age" between 18 and 100,
        IsPrimaryKey "record_id"
    ]
    """
    suite = compile_dqdl(text, name="vitals_dq", action="fail")
    assert suite.name == "vitals_dq"
    assert [r.name for r in suite.rules] == [
        'IsComplete "record_id"',
        'ColumnValues "age" between 18 and 100',
        'IsPrimaryKey "record_id" [not null: record_id]',
        'IsPrimaryKey "record_id" [unique]',
    ]
    assert {r.action for r in suite.rules} == {RuleAction.FAIL}
    assert suite.rules[1].meta == {"dqdl": 'ColumnValues "age" between 18 and 100'}


def test_parse_keeps_positions_and_values() -> None:
    [first, second] = parse_dqdl('Rules = [\n  IsUnique "a",\n  ColumnValues "b" in ["x\\"y", 2]\n]')
    assert (first.type, first.parameters, first.line, first.column) == ("IsUnique", ("a",), 2, 3)
    assert second.condition is not None and second.condition.operands == ('x"y', 2)


@pytest.mark.parametrize(
    ("text", "line", "column", "reason"),
    [
        ('Rules = [ IsComplete "id" IsUnique "id" ]', 1, 27, "expected ',' or ']' after a rule, found 'IsUnique'"),
        ('Rules = [ ColumnValues "a" between 1 ]', 1, 38, "expected 'and' in 'between … and …'"),
        ('Rules = [\n  IsComplete "id",\n  RowCount > ]', 3, 14, "expected a number or a quoted string"),
        ('Rules = [ IsComplete "id ]', 1, 22, "unterminated string"),
        ('Rules = [ IsComplete "id" ] extra', 1, 29, "unknown section 'extra'"),
        ('Rule = [ IsComplete "id" ]', 1, 1, "unknown section 'Rule'"),
        ('Rules = [ RowCount > 0 ; ]', 1, 24, "unexpected character ';'"),
        ('', 1, 1, "no Rules"),
        ('Rules = [ RowCount > (now() - 3 days) ]', 1, 22, "dynamic expressions"),
    ],
)
def test_syntax_errors_give_the_position(text: str, line: int, column: int, reason: str) -> None:
    with pytest.raises(DqdlSyntaxError) as info:
        compile_dqdl(text, source="vitals.dqdl")
    err = info.value
    assert (err.line, err.column) == (line, column), err
    assert reason in err.reason
    assert str(err).startswith(f"vitals.dqdl: DQDL syntax error at line {line}, column {column}")


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ('CustomSql "select count(*) from primary" > 0', "rule type 'CustomSql' is not supported"),
        ('DataFreshness "ts" <= 24', "rule type 'DataFreshness' is not supported"),
        ('(IsComplete "a") and (IsUnique "a")', "composite rules"),
        ('IsComplete "a" where "b > 1"', "where clauses"),
        ('ColumnValues "a" not between 1 and 2', "'not between' is not supported"),
        ('RowCount > 2.5', "RowCount compares with whole numbers"),
        ('IsComplete "a" > 3', "IsComplete with a condition is not supported"),
        ('Mean "a"', "Mean without a condition"),
        ('Mean "a" > 1 with threshold > 0.5', "'with threshold' on Mean is not supported"),
        ('IsUnique "a" "b"', "IsUnique without exactly one quoted column name"),
    ],
)
def test_unsupported_rules_are_named_with_the_supported_list(rule: str, reason: str) -> None:
    with pytest.raises(UnsupportedDqdlRuleError) as info:
        compile_dqdl(f"Rules = [\n  IsComplete \"x\",\n  {rule}\n]", source="t.dqdl")
    err = info.value
    assert reason in err.reason and err.line == 3 and err.rule == rule
    assert "supported rule types: IsComplete, Completeness" in str(err)


def test_dqdl_file_runs_through_gx_on_spark(vitals, vitals_rows, tmp_path) -> None:
    path = tmp_path / "vitals.dqdl"
    path.write_text("""Rules = [
        IsComplete "record_id",
        Completeness "age" > 0.9,
        ColumnValues "age" between 17 and 101 with threshold >= 0.8,
        IsPrimaryKey "record_id",
        RowCount between 100 and 1000,
        DistinctValuesCount "device" = 5,
        ColumnLength "device" = 5,
        Mean "hr" between 70 and 90,
        ColumnValues "status" in ["ok", "warn"]
    ]""")
    outcome = run_table_rules(vitals, load_dqdl(path), table="silver.vitals")
    statuses = {r.rule: r.status for r in outcome.results}
    assert statuses.pop('ColumnValues "status" in ["ok", "warn"]') == "warned"
    assert set(statuses.values()) == {"passed"}, statuses
    assert outcome.suite.name == "vitals"
    bad = sum(1 for r in vitals_rows if r["status"] == "bad")
    assert {r.rule: r.failed for r in outcome.results}['ColumnValues "status" in ["ok", "warn"]'] == bad
