"""Table rules in an ETL run: GX suites and DQDL rulesets gate what would be written; results,
Data Docs per run, and a failing ``fail`` expectation commits nothing."""

from __future__ import annotations

from typing import Any

import pytest

from lake.etl import EtlSpec, ResultsTable, SourceSpec, run_etl
from lake.quality import QualityGateError, compile_dqdl, parse_suite


def _spec(*suites: Any, name: str = "silver.ev") -> EtlSpec:
    return EtlSpec(name=name, location="silver/ev", build=lambda frames: frames["bronze.ev"],
                   sources=(SourceSpec("bronze.ev", "bronze/ev"),), incremental_source="bronze.ev", key=("id",),
                   suites=tuple(suites), definition_id="gates")


def _source(spark: Any, store: Any, start: int, n: int, device: str = "concat('dev-', id % 3)") -> None:
    store.write(spark.range(start, start + n).selectExpr("id", f"{device} AS device", "CAST(id % 50 AS INT) AS age"),
                "bronze/ev")


def test_a_failing_gx_expectation_stops_the_run_and_names_it(spark, local_lake, local_store) -> None:  # type: ignore[no-untyped-def]
    suite = parse_suite({"name": "ev", "expectations": [
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "device", "value_set": ["dev-0", "dev-1", "dev-2"]},
         "meta": {"action": "fail", "name": "known_device"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"}},
    ]})
    _source(spark, local_store, 0, 30)
    ok = run_etl(spark, local_lake, _spec(suite), publish_docs=False)
    assert ok.status == "succeeded"
    assert {r.rule for r in ok.results} >= {"known_device", "expect_column_values_to_be_unique(id)"}
    _source(spark, local_store, 30, 10, device="CASE WHEN id = 33 THEN 'rogue' ELSE 'dev-1' END")
    with pytest.raises(QualityGateError) as caught:
        run_etl(spark, local_lake, _spec(suite), publish_docs=False)
    assert caught.value.rule == "known_device" and caught.value.kind == "table" and "rogue" in str(caught.value)
    assert local_store.read("silver/ev").count() == 30
    statuses = {(r["rule"], r["status"]) for r in ResultsTable(local_lake).read("silver.ev").to_pylist()}
    assert ("known_device", "failed") in statuses and ("known_device", "passed") in statuses


def test_dqdl_rules_run_as_gx_expectations_and_each_run_gets_data_docs(spark, local_lake, local_store) -> None:  # type: ignore[no-untyped-def]
    dqdl = compile_dqdl('Rules = [ IsComplete "device", IsUnique "id", ColumnValues "age" between -1 and 40, '
                        'RowCount > 0 ]', name="ev_dqdl")
    _source(spark, local_store, 0, 60)
    result = run_etl(spark, local_lake, _spec(dqdl), publish_docs=True)
    by_rule = {r.rule: r for r in result.results}
    assert by_rule['ColumnValues "age" between -1 and 40'].status == "warned"  # ages 40..49 are outside
    assert by_rule['IsComplete "device"'].status == "passed" and by_rule["RowCount > 0"].status == "passed"
    assert result.docs_uri is not None and result.docs_uri.endswith(f"silver.ev/{result.run_id}/index.html")
    fs = local_lake.filesystem()
    assert fs.get_file_info(local_lake.fs_path(result.docs_uri)).size > 0
