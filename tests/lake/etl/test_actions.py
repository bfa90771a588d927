"""Row-rule actions in an ETL run, on the local and the moto profile: warn keeps and counts, drop
quarantines the whole row with why, fail stops the run with nothing committed to the target."""

from __future__ import annotations

from typing import Any

import pytest

from lake.etl import EtlSpec, ResultsTable, SourceSpec, run_etl
from lake.quality import QualityGateError, RowRule


def _source(spark: Any, store: Any, start: int = 0, n: int = 40) -> None:
    """Rows ``id`` with ``age = 150`` (implausible) for ids ending in 3."""
    store.write(spark.range(start, start + n).selectExpr(
        "id", "CASE WHEN id % 10 = 3 THEN 150 ELSE 20 + id % 60 END AS age", "concat('d', id % 3) AS device",
    ), "bronze/ev")


def _spec(action: str) -> EtlSpec:
    return EtlSpec(
        name="silver.ev", location="silver/ev", build=lambda frames: frames["bronze.ev"],
        sources=(SourceSpec("bronze.ev", "bronze/ev"),), incremental_source="bronze.ev",
        row_rules=(RowRule("valid_age", "age BETWEEN 18 AND 100", action), RowRule("has_device", "device IS NOT NULL")),
        definition_id=f"ev-{action}",
    )


def _results(lake: Any, run_id: str) -> dict[str, dict[str, Any]]:
    rows = ResultsTable(lake).read("silver.ev").to_pylist()
    return {r["rule"]: r for r in rows if r["run_id"] == run_id}


def test_warn_keeps_the_rows_and_counts_them(spark, lake, store) -> None:  # type: ignore[no-untyped-def]
    _source(spark, store)
    result = run_etl(spark, lake, _spec("warn"), publish_docs=False)
    assert (result.counts.read, result.counts.written, result.counts.quarantined) == (40, 40, 0)
    assert store.read("silver/ev").where("age = 150").count() == 4
    assert not store.exists("silver/ev__quarantine")
    rules = _results(lake, result.run_id)
    assert (rules["valid_age"]["status"], rules["valid_age"]["failed"], rules["valid_age"]["evaluated"]) == (
        "warned", 4, 40)
    assert rules["has_device"]["status"] == "passed" and rules["row_count_identity"]["status"] == "passed"


def test_drop_quarantines_the_full_row_with_the_rules_run_and_source_version(spark, lake, store) -> None:  # type: ignore[no-untyped-def]
    _source(spark, store)
    result = run_etl(spark, lake, _spec("drop"), publish_docs=False)
    assert (result.counts.read, result.counts.written, result.counts.quarantined) == (40, 36, 4)
    assert store.read("silver/ev").where("age = 150").count() == 0
    bad = store.read("silver/ev__quarantine").orderBy("id").collect()
    assert [r["id"] for r in bad] == [3, 13, 23, 33]
    assert all(r["age"] == 150 and r["device"] is not None for r in bad)  # the whole row
    assert {tuple(r["_failed_rules"]) for r in bad} == {("valid_age",)}
    assert {r["_run_id"] for r in bad} == {result.run_id}
    assert all(r["_source_version"] == {"bronze.ev": 0} for r in bad)
    assert _results(lake, result.run_id)["valid_age"]["status"] == "dropped"


def test_fail_stops_the_run_commits_nothing_and_records_why(spark, lake, store) -> None:  # type: ignore[no-untyped-def]
    store.write(spark.range(0, 10).selectExpr("id", "CAST(30 + id AS BIGINT) AS age", "'d' AS device"), "bronze/ev")
    first = run_etl(spark, lake, _spec("fail"), publish_docs=False)
    version = store.snapshot("silver/ev").version()
    _source(spark, store, start=10, n=20)
    with pytest.raises(QualityGateError) as caught:
        run_etl(spark, lake, _spec("fail"), publish_docs=False)
    error = caught.value
    assert error.rule == "valid_age" and error.failed == 2
    assert "sample: (age=150)" in str(error)  # the failing values
    assert store.snapshot("silver/ev").version() == version and store.read("silver/ev").count() == 10
    assert not store.exists("silver/ev__quarantine")
    failed_runs = [r for r in ResultsTable(lake).read("silver.ev").to_pylist() if r["run_id"] != first.run_id]
    assert {(r["rule"], r["status"]) for r in failed_runs} >= {("valid_age", "failed")}
    again = run_etl(spark, lake, _spec("fail"), publish_docs=False, raise_on_fail=False)
    assert again.status == "failed" and again.failed_rule == "valid_age" and again.mode == "incremental"
