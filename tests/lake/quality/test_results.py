"""Result rows, quarantine rows, the counts identity and the raw stage's malformed records."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from lake.errors import InvalidOptionError
from lake.quality import (
    FAILED_RULES,
    QUARANTINE_COLUMNS,
    RESULTS_ARROW_SCHEMA,
    RESULTS_SPARK_SCHEMA,
    CountIdentityError,
    QualityResult,
    QuarantineFrameError,
    RowCounts,
    RowRule,
    RuleAction,
    RuleKind,
    RuleStatus,
    apply_row_rules,
    count_raw_errors,
    new_run_id,
    quarantine_frame,
    quarantine_schema,
    quarantine_table_name,
    raw_error_result,
    results_to_arrow,
    results_to_spark,
)


def _result(**overrides: object) -> QualityResult:
    values: dict = {
        "run_id": "r1", "table": "silver.vitals", "rule": "valid_age", "kind": RuleKind.ROW,
        "action": RuleAction.DROP, "evaluated": 200, "failed": 12, "status": RuleStatus.DROPPED, "seconds": 0.5,
        "observed": {"ratio": 0.06}, "details": {"expression": "age > 0"},
        "recorded_at": datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return QualityResult(**values)


def test_results_to_arrow_has_the_table_schema() -> None:
    table = results_to_arrow([_result(), _result(rule="count", kind=RuleKind.TABLE, failed=None, observed=None,
                                                 details={}, status=RuleStatus.PASSED, action=RuleAction.WARN)])
    assert table.schema.equals(RESULTS_ARROW_SCHEMA)
    rows = table.to_pylist()
    assert rows[0]["kind"] == "row" and rows[0]["status"] == "dropped" and rows[0]["failed"] == 12
    assert json.loads(rows[0]["observed"]) == {"ratio": 0.06}
    assert json.loads(rows[0]["details"]) == {"expression": "age > 0"}
    assert rows[1]["failed"] is None and rows[1]["observed"] is None and rows[1]["details"] is None
    assert set(RESULTS_ARROW_SCHEMA.names) >= {"run_id", "table", "rule", "kind", "action", "evaluated",
                                               "failed", "status", "seconds"}


def test_results_to_spark_matches_the_spark_schema(spark) -> None:
    df = results_to_spark(spark, [_result()])
    assert df.schema == RESULTS_SPARK_SCHEMA
    row = df.first()
    assert row.rule == "valid_age" and row.failed == 12 and row.recorded_at == datetime(2026, 12, 1, 9, 0)
    assert pa.Table.from_pandas(df.toPandas(), preserve_index=False).num_rows == 1


def test_run_ids_sort_by_time_and_are_unique() -> None:
    ids = {new_run_id() for _ in range(50)}
    assert len(ids) == 50 and all(len(i) == len(next(iter(ids))) for i in ids)


def test_quarantine_frame_adds_run_source_versions_and_time(spark) -> None:
    df = spark.createDataFrame([(1, 150, "x"), (2, 20, "y"), (3, None, "z")], "id int, age int, note string")
    outcome = apply_row_rules(df, [RowRule("valid_age", "age BETWEEN 18 AND 100", "drop"),
                                   RowRule("short_note", "length(note) < 1")])
    moment = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    frame = quarantine_frame(outcome.quarantine, run_id="r7", source_versions={"bronze.vitals": 12, "ref.x": 3},
                             quarantined_at=moment)
    assert frame.columns == ["id", "age", "note", *QUARANTINE_COLUMNS]
    assert frame.schema == quarantine_schema(df.schema)
    rows = sorted(frame.collect(), key=lambda r: r.id)
    assert [r.id for r in rows] == [1, 3]
    assert rows[0][FAILED_RULES] == ["valid_age", "short_note"]
    assert rows[0]._run_id == "r7" and rows[0]._source_version == {"bronze.vitals": 12, "ref.x": 3}
    assert rows[0]._quarantined_at == datetime(2026, 12, 1, 10, 30)
    assert quarantine_table_name("silver.vitals") == "silver.vitals__quarantine"


def test_quarantine_frame_refuses_wrong_shapes(spark) -> None:
    plain = spark.createDataFrame([(1,)], "id int")
    with pytest.raises(QuarantineFrameError, match="missing the '_failed_rules'"):
        quarantine_frame(plain, run_id="r", source_versions={})
    clash = spark.createDataFrame([(1, "r0", ["a"])], "id int, _run_id string, _failed_rules array<string>")
    with pytest.raises(QuarantineFrameError, match="reserved"):
        quarantine_frame(clash, run_id="r", source_versions={})
    ok = spark.createDataFrame([(1, ["a"])], "id int, _failed_rules array<string>")
    with pytest.raises(QuarantineFrameError, match="Delta version"):
        quarantine_frame(ok, run_id="r", source_versions={"bronze.v": -1})
    with pytest.raises(QuarantineFrameError):
        quarantine_table_name("silver.vitals__quarantine")


def test_counts_identity_holds_or_names_every_count() -> None:
    good = RowCounts(read=200, written=180, quarantined=15, duplicates=5)
    assert good.balanced and good.unaccounted == 0
    good.verify("silver.vitals", "r1")
    result = good.to_result("r1", "silver.vitals")
    assert (result.rule, result.status, result.failed, result.evaluated) == ("row_count_identity", "passed", 0, 200)
    lost = RowCounts(read=200, written=180, quarantined=15)
    with pytest.raises(CountIdentityError) as info:
        lost.verify("silver.vitals", "r2")
    assert str(info.value) == ("silver.vitals: rows do not add up (run r2): read 200 ≠ written 180"
                               " + quarantined 15 + duplicates removed 0")
    assert lost.to_result("r2", "silver.vitals").status == "failed"
    with pytest.raises(InvalidOptionError):
        RowCounts(read=-1, written=0, quarantined=0)


def test_counts_identity_over_row_rules(vitals) -> None:
    outcome = apply_row_rules(vitals, [RowRule("valid_age", "age BETWEEN 18 AND 100", "drop")])
    kept = outcome.kept.dropDuplicates(["device", "status"])
    duplicates = outcome.kept_count - kept.count()
    RowCounts(read=outcome.evaluated, written=kept.count(), quarantined=outcome.quarantine.count(),
              duplicates=duplicates).verify("silver.vitals", outcome.run_id)


@pytest.mark.moto
def test_raw_errors_are_counted_through_the_profile(lake) -> None:  # type: ignore[no-untyped-def]
    from lake.stream.ingest.parse import ErrorRecord, RecordMeta
    from lake.stream.ingest.raw_zone import plan_raw_files, write_raw_files

    lake.ensure_lake()

    def errors(n: int, hour: int) -> list[ErrorRecord]:
        arrival = int(datetime(2026, 12, 1, hour, tzinfo=UTC).timestamp() * 1_000_000)
        meta = RecordMeta("heart", "shardId-000", "1", "pk", arrival, None)
        return [ErrorRecord("MalformedJson", "Expecting value", b"{not json", meta) for _ in range(n)]

    write_raw_files(lake, plan_raw_files("heart", 1, [], [], errors(3, 8) + errors(2, 9)))
    write_raw_files(lake, plan_raw_files("heart", 2, [], [], errors(4, 9)))
    write_raw_files(lake, plan_raw_files("other", 1, [], [], errors(7, 9)))
    counted = count_raw_errors(lake, "heart")
    assert counted.records == 9 and len(counted.files) == 3
    assert all(p.startswith("raw/_errors/heart/year=2026/month=12/day=01/") for p in counted.files)
    seen = {p for p in counted.files if "heart-000000000001" in p}
    later = count_raw_errors(lake, "heart", exclude=seen)
    assert later.records == 4 and len(later.files) == 1
    assert count_raw_errors(lake, "nothing").records == 0
    result = raw_error_result("r1", "bronze.heart", "heart", counted.records, evaluated=109)
    assert (result.kind, result.action, result.status, result.failed, result.evaluated) == (
        "raw", "drop", "dropped", 9, 109)
    assert result.details["errors_prefix"] == "raw/_errors/heart/"
    assert raw_error_result("r1", "bronze.heart", "heart", 0).status == "passed"
    with pytest.raises(InvalidOptionError):
        raw_error_result("r1", "bronze.heart", "heart", 5, evaluated=3)
