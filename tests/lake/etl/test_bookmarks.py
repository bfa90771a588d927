"""Bookmarks: a rerun with no new source commits is a no-op, a run reads only the files added
since its bookmark, OPTIMIZE of the source never duplicates, a DELETE in the source (or a new
definition) makes the run a full refresh, and a KEY keeps a late duplicate out."""

from __future__ import annotations

from typing import Any

from etl_testkit import BRONZE, SILVER, emissions, silver_spec, truth, write_bronze

from lake.etl import EtlSpec, SourceSpec, run_etl


def _run(spark: Any, lake: Any, spec: EtlSpec | None = None, **kwargs: Any) -> Any:
    return run_etl(spark, lake, spec or silver_spec(), publish_docs=False, **kwargs)


def _new_files(store: Any, table: str) -> set[str]:
    """The data files the table's latest commit added."""
    version = store.snapshot(table).version()
    return set(store.plan_scan(table).files) - set(store.plan_scan(table, version=version - 1).files)


def test_a_rerun_without_new_commits_is_a_no_op_and_a_run_reads_only_new_files(spark, local_lake, local_store) -> None:  # type: ignore[no-untyped-def]
    store = local_store
    batch = emissions(120)
    write_bronze(spark, store, batch[:80], 0)
    first = _run(spark, local_lake)
    assert (first.mode, first.reason, first.counts.read) == ("full_refresh", "first run", 80)
    version = store.snapshot(SILVER).version()
    again = _run(spark, local_lake)
    assert again.status == "noop" and again.mode == "noop" and again.files_read == []
    assert store.snapshot(SILVER).version() == version  # nothing committed
    write_bronze(spark, store, batch[80:], 1)
    third = _run(spark, local_lake)
    assert third.mode == "incremental" and set(third.files_read) == _new_files(store, BRONZE)
    assert third.sources == {"bronze.heart": {"from": 0, "to": store.snapshot(BRONZE).version()}}
    assert third.counts.read == 40 and store.read(SILVER).count() == 120


def test_optimize_of_the_source_between_runs_does_not_duplicate(spark, local_lake, local_store) -> None:  # type: ignore[no-untyped-def]
    store = local_store
    batch = emissions(90)
    write_bronze(spark, store, batch[:30], 0)
    write_bronze(spark, store, batch[30:60], 1)
    _run(spark, local_lake)
    store.optimize(BRONZE)
    compacted = _run(spark, local_lake)
    assert compacted.mode == "noop" and "no data changes" in compacted.reason and compacted.counts.read == 0
    assert compacted.files_read == [] and store.read(SILVER).count() == 60
    write_bronze(spark, store, batch[60:], 2)
    after = _run(spark, local_lake)
    assert after.mode == "incremental" and after.counts.read == 30 and store.read(SILVER).count() == 90
    assert store.read(SILVER).select("record_id").distinct().count() == 90


def test_a_delete_in_the_source_forces_a_full_refresh_with_the_reason(spark, local_lake, local_store) -> None:  # type: ignore[no-untyped-def]
    store = local_store
    write_bronze(spark, store, emissions(60), 0)
    _run(spark, local_lake)
    store.delete(BRONZE, "age >= 60")
    refreshed = _run(spark, local_lake)
    assert refreshed.mode == "full_refresh" and "DELETE" in refreshed.reason
    remaining = store.read(BRONZE).select("record_id").distinct().count()
    assert store.read(SILVER).count() == remaining and store.read(SILVER).where("age >= 60").count() == 0
    changed = _run(spark, local_lake, silver_spec(definition_id="silver-v2"))
    assert changed.mode == "full_refresh" and changed.reason == "the definition changed since the last run"
    asked = _run(spark, local_lake, silver_spec(definition_id="silver-v2"), full_refresh=True)
    assert asked.mode == "full_refresh" and asked.reason == "full refresh requested"
    assert store.read(SILVER).count() == remaining


def test_a_duplicate_arriving_in_a_later_run_creates_no_second_row(spark, local_lake, local_store) -> None:  # type: ignore[no-untyped-def]
    store = local_store
    batch = emissions(50)
    write_bronze(spark, store, batch[:40], 0)
    _run(spark, local_lake)
    late = [*batch[40:], batch[3], batch[7]]  # two records replayed days later
    write_bronze(spark, store, late, 1)
    result = _run(spark, local_lake)
    expected = truth(late, seen={str(e.record_id) for e in batch[:40]})
    assert (result.counts.read, result.counts.duplicates) == (12, expected.duplicates) and expected.duplicates == 2
    assert result.counts.written == 10 and store.read(SILVER).count() == 50
    unkeyed = silver_spec(key=False, name="silver.heart_unkeyed")
    plain = run_etl(spark, local_lake, EtlSpec(**{**unkeyed.__dict__, "location": "silver/unkeyed"}),
                    publish_docs=False)
    assert plain.counts.written == 52 and plain.counts.duplicates == 0  # without KEY every row is kept


def test_a_complete_table_recomputes_when_a_source_moved_else_is_a_no_op(spark, local_lake, local_store) -> None:  # type: ignore[no-untyped-def]
    store = local_store
    batch = emissions(60)
    write_bronze(spark, store, batch[:30], 0)

    def daily(frames: Any) -> Any:
        return frames["bronze.heart"].groupBy("event_date", "clinic_id").count()

    spec = EtlSpec(name="gold.daily", location="gold/daily", build=daily,
                   sources=(SourceSpec("bronze.heart", BRONZE),), key=("event_date", "clinic_id"), definition_id="d1")
    first = run_etl(spark, local_lake, spec, publish_docs=False)
    assert first.mode == "full_refresh"
    assert run_etl(spark, local_lake, spec, publish_docs=False).mode == "noop"
    write_bronze(spark, store, batch[30:], 1)
    second = run_etl(spark, local_lake, spec, publish_docs=False)
    assert second.mode == "complete" and "bronze.heart v1..v" in second.reason
    total = store.read("gold/daily").groupBy().sum("count").collect()[0][0]
    assert total == 60
