"""Row rules: warn keeps and counts, drop quarantines with rule names, fail raises with a sample."""

from __future__ import annotations

import pickle

import pytest

from lake.quality import (
    FAILED_RULES,
    QualityGateError,
    QuarantineFrameError,
    RowRule,
    RuleAction,
    RuleDefinitionError,
    RuleExpressionError,
    apply_row_rules,
    flag_rows,
)


def _adult(row: dict) -> bool:
    return row["age"] is not None and 18 <= row["age"] <= 100


def test_warn_keeps_failing_rows_and_counts_them(vitals, vitals_rows) -> None:
    outcome = apply_row_rules(vitals, [RowRule("valid_age", "age BETWEEN 18 AND 100")], table="silver.vitals")
    failing = sum(1 for r in vitals_rows if not _adult(r))
    assert outcome.evaluated == len(vitals_rows)
    assert outcome.failed == {"valid_age": failing} and failing > 10
    assert outcome.dropped == 0 and outcome.kept.count() == len(vitals_rows)
    assert outcome.quarantine.count() == 0
    [result] = outcome.results
    assert (result.rule, result.kind, result.action, result.status) == ("valid_age", "row", "warn", "warned")
    assert (result.evaluated, result.failed, result.table) == (len(vitals_rows), failing, "silver.vitals")


def test_drop_quarantines_full_rows_with_every_rule_they_failed(vitals, vitals_rows) -> None:
    rules = [
        RowRule("valid_age", "age BETWEEN 18 AND 100", "drop"),
        RowRule("known_status", "status IN ('ok', 'warn')", RuleAction.WARN),
        RowRule("hr_not_even", "hr % 2 = 1", "drop"),
    ]
    outcome = apply_row_rules(vitals, rules, persist=True)
    try:
        dropped = [r for r in vitals_rows if not _adult(r) or r["hr"] % 2 != 1]
        assert outcome.dropped == len(dropped) and outcome.kept_count == len(vitals_rows) - len(dropped)
        assert outcome.kept.count() == outcome.kept_count
        assert outcome.kept.columns == vitals.columns
        quarantined = {row["record_id"]: row.asDict() for row in outcome.quarantine.collect()}
        assert set(quarantined) == {r["record_id"] for r in dropped}
        assert outcome.quarantine.columns == [*vitals.columns, FAILED_RULES]
        for source in dropped:
            row = quarantined[source["record_id"]]
            assert {k: row[k] for k in source} == source  # the full row, unchanged
            wanted = [name for name, failed in (("valid_age", not _adult(source)),
                                                ("known_status", source["status"] == "bad"),
                                                ("hr_not_even", source["hr"] % 2 != 1)) if failed]
            assert row[FAILED_RULES] == wanted
        statuses = {r.rule: r.status for r in outcome.results}
        assert statuses == {"valid_age": "dropped", "known_status": "warned", "hr_not_even": "dropped"}
        assert outcome.failed["known_status"] == sum(1 for r in vitals_rows if r["status"] == "bad")
    finally:
        outcome.unpersist()


def test_fail_raises_naming_the_rule_with_a_sample_of_failing_values(vitals, vitals_rows) -> None:
    rules = [RowRule("known_status", "status <> 'bad'", "fail"), RowRule("valid_age", "age <= 100")]
    with pytest.raises(QualityGateError) as info:
        apply_row_rules(vitals, rules, table="silver.vitals")
    err = info.value
    bad = [r for r in vitals_rows if r["status"] == "bad"]
    assert (err.table, err.rule, err.kind, err.failed) == ("silver.vitals", "known_status", "row", len(bad))
    assert 0 < len(err.sample) <= 5 and all(s == "(status=bad)" for s in err.sample)
    assert "known_status" in str(err) and "(status=bad)" in str(err) and "\n" not in str(err)
    assert {r.rule: r.status for r in err.results} == {"known_status": "failed", "valid_age": "warned"}
    assert pickle.loads(pickle.dumps(err)).fields == err.fields


def test_fail_can_be_deferred_so_results_are_recorded_first(vitals) -> None:
    outcome = apply_row_rules(vitals, [RowRule("adult", "age >= 18", "fail")], raise_on_fail=False)
    assert outcome.violated(RuleAction.FAIL) == [outcome.rules[0]]
    with pytest.raises(QualityGateError, match="adult") as info:
        outcome.raise_for_failures()
    assert info.value.sample == ["(age=NULL)"] * len(info.value.sample)


def test_passing_fail_rule_raises_nothing(vitals) -> None:
    outcome = apply_row_rules(vitals, [RowRule("has_id", "record_id IS NOT NULL", "fail")])
    assert outcome.failed == {"has_id": 0} and outcome.results[0].status == "passed"


def test_null_result_counts_as_failed(spark) -> None:
    df = spark.createDataFrame([(1, 20), (2, None), (3, 150)], "id int, age int")
    outcome = apply_row_rules(df, [RowRule("valid_age", "age BETWEEN 18 AND 100", "drop"),
                                   RowRule("null_ok", "age IS NULL OR age < 200")])
    assert outcome.failed == {"valid_age": 2, "null_ok": 0}
    assert sorted(r.id for r in outcome.quarantine.collect()) == [2, 3]
    assert [r.id for r in outcome.kept.collect()] == [1]


def test_counts_come_from_one_aggregate_over_one_projection(vitals) -> None:
    flagged = flag_rows(vitals, [RowRule("a", "age > 30", "drop"), RowRule("b", "hr < 90")])
    assert flagged.columns[: len(vitals.columns)] == vitals.columns
    assert FAILED_RULES in flagged.columns
    assert vitals.count() == flagged.count()  # a projection: no row added or removed


def test_empty_input_gives_zero_counts(spark) -> None:
    df = spark.createDataFrame([], "id int, age int")
    outcome = apply_row_rules(df, [RowRule("valid_age", "age > 0", "fail")])
    assert (outcome.evaluated, outcome.dropped, outcome.failed) == (0, 0, {"valid_age": 0})


@pytest.mark.parametrize(
    ("expression", "reason", "column"),
    [
        ("agee BETWEEN 18 AND 100", "unknown column", "agee"),
        ("age BETWEEN 18 AND", "does not parse", None),
        ("age + 1", "must be a boolean condition, but evaluates to int", None),
        ("sum(age) > 10", "aggregate and window functions cannot be row rules", None),
        ("no_such_fn(age)", "unknown function", "no_such_fn"),
    ],
)
def test_bad_expressions_name_the_rule(vitals, expression: str, reason: str, column: str | None) -> None:
    rules = [RowRule("fine", "age > 0"), RowRule("broken", expression, "drop")]
    with pytest.raises(RuleExpressionError) as info:
        apply_row_rules(vitals, rules)
    err = info.value
    assert err.rule == "broken" and err.expression == expression
    assert err.reason.startswith(reason) and err.column == column
    assert "'broken'" in str(err)


def test_unknown_column_suggests_close_names(vitals) -> None:
    with pytest.raises(RuleExpressionError, match="did you mean age") as info:
        apply_row_rules(vitals, [RowRule("r", "agee > 1")])
    assert info.value.suggestions[0] == "age"


def test_rule_definitions_are_checked() -> None:
    with pytest.raises(RuleDefinitionError, match="unknown action 'quarantine'"):
        RowRule("r", "x > 1", "quarantine")  # type: ignore[arg-type]
    with pytest.raises(RuleDefinitionError, match="non-empty name"):
        RowRule(" ", "x > 1")
    with pytest.raises(RuleDefinitionError, match="empty"):
        RowRule("r", "")
    assert RowRule("r", "x > 1", "DROP").action is RuleAction.DROP


def test_duplicate_rule_names_and_reserved_columns_are_refused(spark) -> None:
    df = spark.createDataFrame([(1, ["x"])], "id int, _failed_rules array<string>")
    with pytest.raises(RuleDefinitionError, match="two rules"):
        apply_row_rules(df, [RowRule("r", "id > 0"), RowRule("r", "id > 1")])
    with pytest.raises(QuarantineFrameError, match="_failed_rules"):
        apply_row_rules(df, [RowRule("r", "id > 0")])
