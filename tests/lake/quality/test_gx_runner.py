"""Table rules run by Great Expectations 1.x on a Spark DataFrame in one reused ephemeral context."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from lake.quality import (
    ExpectationRunError,
    GxRunner,
    QualityGateError,
    RuleAction,
    default_runner,
    load_suite,
    parse_suite,
    run_table_rules,
)

YAML = """\
name: vitals_yaml
expectations:
  - type: expect_column_values_to_not_be_null
    kwargs: {column: age, mostly: 0.9}
  - type: expect_column_values_to_not_be_null
    kwargs: {column: age, mostly: 0.99}
    meta: {name: age_almost_complete}
  - type: expect_column_values_to_be_unique
    kwargs: {column: device}
  - type: expect_column_kl_divergence_to_be_less_than
    kwargs:
      column: hr
      partition_object: {bins: [60, 80, 100], weights: [0.5, 0.5]}
      threshold: 0.05
    meta: {name: hr_distribution_as_usual}
  - type: expect_column_kl_divergence_to_be_less_than
    kwargs:
      column: hr
      partition_object: {bins: [60, 80, 100], weights: [0.95, 0.05]}
      threshold: 0.05
    meta: {name: hr_distribution_shifted}
"""


def test_shared_suite_results_per_expectation(warn_outcome, vitals_rows) -> None:
    by_rule = {r.rule: r for r in warn_outcome.results}
    unique = by_rule["expect_column_values_to_be_unique(record_id)"]
    in_set = by_rule["expect_column_values_to_be_in_set(status)"]
    count = by_rule["expect_table_row_count_to_be_between"]
    assert (unique.status, unique.failed, unique.evaluated) == ("passed", 0, len(vitals_rows))
    bad = sum(1 for r in vitals_rows if r["status"] == "bad")
    assert (in_set.status, in_set.failed, in_set.action) == ("warned", bad, RuleAction.WARN)
    assert in_set.details["sample"] == ["bad"] * min(bad, 5)
    assert (count.status, count.failed, count.observed, count.evaluated) == ("warned", None, 200, 200)
    assert {r.kind for r in warn_outcome.results} == {"table"}
    assert {r.run_id for r in warn_outcome.results} == {"run-shared-1"}
    assert all(r.table == "silver.vitals" and r.seconds > 0 for r in warn_outcome.results)
    assert not warn_outcome.success and warn_outcome.violated(RuleAction.FAIL) == []


def test_yaml_suite_not_null_mostly_uniqueness_and_kl_divergence(vitals, vitals_rows, tmp_path: Path) -> None:
    path = tmp_path / "vitals.yaml"
    path.write_text(YAML)
    outcome = run_table_rules(vitals, load_suite(path), table="silver.vitals")
    by_rule = {r.rule: r for r in outcome.results}
    nulls = sum(1 for r in vitals_rows if r["age"] is None)
    mostly = by_rule["expect_column_values_to_not_be_null(age)"]
    assert (mostly.status, mostly.failed, mostly.evaluated) == ("passed", nulls, len(vitals_rows))
    assert by_rule["age_almost_complete"].status == "warned"
    assert by_rule["expect_column_values_to_be_unique(device)"].failed == len(vitals_rows)
    usual, shifted = by_rule["hr_distribution_as_usual"], by_rule["hr_distribution_shifted"]
    assert usual.status == "passed" and usual.observed < 0.05
    assert shifted.status == "warned" and shifted.observed > 0.05


def test_fail_action_raises_with_unexpected_values_from_gx(vitals) -> None:
    suite = parse_suite({"name": "gate", "expectations": [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "age", "max_value": 100},
         "meta": {"action": "fail", "name": "age_at_most_100"}},
        {"type": "expect_column_to_exist", "kwargs": {"column": "hr"}},
    ]})
    with pytest.raises(QualityGateError) as info:
        run_table_rules(vitals, suite, table="silver.vitals")
    err = info.value
    assert (err.rule, err.kind, err.table) == ("age_at_most_100", "table", "silver.vitals")
    assert err.failed and err.failed > 0
    assert 0 < len(err.sample) <= 5 and all(int(v) > 100 for v in err.sample)
    assert {r.rule: r.status for r in err.results} == {"age_at_most_100": "failed",
                                                        "expect_column_to_exist(hr)": "passed"}
    assert pickle.loads(pickle.dumps(err)).rule == "age_at_most_100"


def test_aggregate_fail_rule_names_the_observed_value(vitals) -> None:
    suite = parse_suite({"name": "count_gate", "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1000},
         "meta": {"action": "fail"}}]})
    outcome = run_table_rules(vitals, suite, raise_on_fail=False)
    assert [r.status for r in outcome.results] == ["failed"]
    with pytest.raises(QualityGateError, match="was not met; sample: observed 200"):
        outcome.raise_for_failures()


def test_expectation_that_cannot_run_is_an_error_naming_it(vitals) -> None:
    suite = parse_suite({"name": "broken", "expectations": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "no_such_column"}}]})
    with pytest.raises(ExpectationRunError) as info:
        run_table_rules(vitals, suite, table="silver.vitals")
    assert info.value.rule == "expect_column_values_to_be_unique(no_such_column)"
    assert "no_such_column" in info.value.reason


def test_context_is_reused_quiet_and_writes_nothing_in_cwd(vitals, tmp_path: Path, monkeypatch, capfd) -> None:
    monkeypatch.chdir(tmp_path)
    runner = GxRunner()
    suite = parse_suite({"name": "quiet", "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "status", "value_set": ["ok"]}}]})
    capfd.readouterr()
    first = runner.validate(vitals, suite)
    context = runner._context
    uncached = vitals.where("hr > 0")
    second = runner.validate(uncached, suite)
    out, err = capfd.readouterr()
    assert vitals.storageLevel.useMemory  # the caller's cache stays
    assert not uncached.storageLevel.useMemory and not uncached.storageLevel.useDisk  # GX's persist is undone
    assert runner._context is context and len(runner.timings) == 2
    assert first.results[0].failed == second.results[0].failed
    assert "Calculating Metrics" not in err and out == ""
    assert list(tmp_path.iterdir()) == []
    assert list(context.suites.all()) == [] and context.validation_results_store.list_keys() == []
    assert default_runner() is default_runner()
