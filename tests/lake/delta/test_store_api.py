"""The public table-store API the ETL layer builds on: read_plan, several app transactions per
commit, and insert-only MERGE that never touches matched rows."""

from __future__ import annotations

import pytest

from lake.delta import InvalidWriteError, ScanPlan
from lake.etl import read_changes


def test_read_plan_reads_exactly_the_files_of_a_change_set(store, events) -> None:
    store.write(events(0, 30), "t", partition_by=["event_date"])
    store.write(events(100, 12), "t", partition_by=["event_date"])
    changes = read_changes(store.uri("t"), store.profile, 0, 1)
    plan = changes.added_plan()
    new_files = set(store.plan_scan("t").files) - set(store.plan_scan("t", version=0).files)
    assert set(plan.files) == new_files and new_files  # the second commit's files only
    df = store.read_plan("t", plan)
    assert sorted(r["id"] for r in df.select("id").collect()) == list(range(100, 112))
    assert df.columns == store.read("t").columns
    assert store.read_plan(store.snapshot("t"), ScanPlan([], [], 0)).count() == 0


def test_write_records_several_app_transactions_in_one_commit(store, events, delta_rs) -> None:
    first = store.write(events(0, 10), "t", app_transactions=[("a", 3), ("b", 7)])
    dt = delta_rs(store.uri("t"))
    assert first.committed and (dt.transaction_version("a"), dt.transaction_version("b")) == (3, 7)
    again = store.write(events(0, 10), "t", app_transactions=[("a", 3), ("b", 7)])
    assert not again.committed and store.read("t").count() == 10  # all at ≥: skipped
    partial = store.write(events(10, 5), "t", app_transactions=[("a", 3), ("b", 8)])
    dt.update_incremental()
    assert partial.committed and dt.transaction_version("b") == 8 and store.read("t").count() == 15
    with pytest.raises(InvalidWriteError, match="appears twice"):
        store.write(events(0, 1), "t", app_id="a", app_version=9, app_transactions=[("a", 9)])


def test_insert_only_merge_leaves_matched_rows_and_their_files_alone(store, events, spark) -> None:
    store.write(events(0, 50), "t")
    before = store.snapshot("t").version()
    src = spark.range(40, 60).selectExpr("id", "'new' as device", "0.0D as value", "date'2026-03-01' as event_date")
    res = store.merge(src, "t", on=["id"], when_matched=None)
    assert (res.rows_inserted, res.rows_updated, res.rows_deleted, res.files_removed) == (10, 0, 0, 0)
    df = store.read("t")
    assert df.count() == 60 and res.version == before + 1
    kept = {r["id"]: r["device"] for r in df.where("id BETWEEN 40 AND 59").collect()}
    assert all(kept[i] != "new" for i in range(40, 50)) and all(kept[i] == "new" for i in range(50, 60))


def test_merge_with_nothing_to_insert_still_commits_its_transactions(store, events, delta_rs) -> None:
    store.write(events(0, 20), "t")
    res = store.merge(events(0, 5), "t", on=["id"], when_matched=None, app_transactions=[("etl", 4)])
    dt = delta_rs(store.uri("t"))
    assert res.committed and res.rows_inserted == 0 and dt.transaction_version("etl") == 4
    skipped = store.merge(events(30, 5), "t", on=["id"], when_matched=None, app_transactions=[("etl", 4)])
    assert not skipped.committed and store.read("t").count() == 20
