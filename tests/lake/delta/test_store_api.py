"""The public table-store API the ETL layer and the SQL engine build on: scan plans with sizes and
stats, read_plan, write_files + commit, several app transactions per commit, and insert-only MERGE
that never touches matched rows."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lake.delta import ConcurrentCommitError, InvalidWriteError, ScanPlan, TableExistsError
from lake.errors import is_transient
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


def test_a_scan_plan_carries_sizes_partition_values_and_the_logs_stats(store, events, lake) -> None:
    store.write(events(0, 90).coalesce(1), "t", partition_by=["event_date"])
    plan = store.plan_scan("t", filters=[("event_date", "=", "2026-03-02")])
    assert len(plan.files) == 1 and plan.partition_values == [{"event_date": "2026-03-02"}]
    fs = lake.filesystem()
    assert plan.sizes == [fs.get_file_info(lake.fs_path(plan.files[0])).size] and plan.size_bytes == plan.sizes[0]
    stats = plan.stats[0]
    assert stats is not None and stats.num_records == plan.num_records == 30
    assert (stats.min_values["id"], stats.max_values["id"], stats.null_count["device"]) == (1, 88, 0)
    whole = store.plan_scan(store.snapshot("t"))  # an open snapshot plans the same way
    assert whole.total_files == len(whole.files) == 3 and whole.num_records == 90


def test_files_written_but_not_committed_do_not_exist(store, events) -> None:
    store.write(events(0, 30), "t")
    staged = store.write_files(events(100, 10), "t")
    assert staged.rows == 10 and store.read("t").count() == 30
    result = store.commit("t", staged, commit_metadata={"job": "test"})
    assert (result.committed, result.files_added, result.rows) == (True, len(staged.adds), 10)
    assert store.read("t").count() == 40 and store.history("t", 1)[0]["job"] == "test"


def test_a_commit_replaces_the_files_a_plan_named(store, events, spark) -> None:
    store.write(events(0, 90), "t", partition_by=["event_date"])
    snapshot = store.snapshot("t")
    plan = store.plan_scan(snapshot, filters=[("event_date", "=", "2026-03-01")])
    doubled = store.read_plan(snapshot, plan).selectExpr("id", "device", "value * 2 as value", "event_date")
    result = store.commit(snapshot, store.write_files(doubled, "t"), plan.files, operation="REWRITE")
    assert (result.files_removed, result.version) == (len(plan.files), snapshot.version() + 1)
    df = store.read("t")
    assert df.count() == 90 and df.where("event_date = date'2026-03-01' AND value = id * 3").count() == 30
    assert store.history("t", 1)[0]["lakeforge.operation"] == "REWRITE"


def test_a_commit_whose_files_another_commit_removed_is_a_conflict(store, events) -> None:
    store.write(events(0, 30), "t")
    snapshot = store.snapshot("t")
    plan = store.plan_scan(snapshot)
    store.delete("t", "id < 5")  # rewrites the file the plan names
    with pytest.raises(ConcurrentCommitError, match="removed by another commit") as caught:
        store.commit(snapshot, store.write_files(events(0, 30), "t"), plan.files)
    assert is_transient(caught.value) and store.read("t").count() == 25


def test_a_commit_refuses_files_that_are_not_in_the_table(store, events) -> None:
    store.write(events(0, 10), "t")
    with pytest.raises(InvalidWriteError, match="1 files to remove are not in version 0"):
        store.commit("t", removes=[store.uri("t") + "/part-nope.parquet"])


def test_a_commit_creates_a_table_from_its_files_and_is_idempotent(store, events) -> None:
    staged = store.write_files(events(0, 30), "new", partition_by=["event_date"])
    first = store.commit("new", staged, app_transactions=[("job", 1)])
    assert first.committed and first.version == 0 and store.read("new").count() == 30
    assert list(store.snapshot("new").metadata().partition_columns) == ["event_date"]
    again = store.commit("new", staged, app_transactions=[("job", 1)])
    assert not again.committed and store.read("new").count() == 30
    with pytest.raises(TableExistsError):
        store.commit("new", mode="create")


def test_nothing_outside_the_table_store_imports_its_private_modules() -> None:
    root = Path(__file__).resolve().parents[3]
    offenders = []
    for package in ("lake", "catalog", "infra", "jobs", "bench"):
        for path in (root / package).rglob("*.py"):
            if path.is_relative_to(root / "lake" / "delta"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lake.delta._"):
                    offenders.append(f"{path.relative_to(root)}: {node.module}")
    assert offenders == []
