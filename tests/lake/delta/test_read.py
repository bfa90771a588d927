"""Reads: latest, by version, by timestamp; partition pruning and min/max file skipping."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from lake.delta import InvalidWriteError, TableNotFoundError, VersionNotFoundError


def test_read_by_version(store, events) -> None:
    store.write(events(0, 30), "t")
    store.write(events(30, 30), "t")
    assert store.read("t", version=0).count() == 30
    assert store.read("t").count() == 60


def test_read_by_timestamp(store, events) -> None:
    store.write(events(0, 30), "t")
    time.sleep(1.1)
    between = datetime.now(UTC)
    time.sleep(1.1)
    store.write(events(30, 30), "t")
    assert store.read("t", timestamp=between).count() == 30


def test_time_travel_to_missing_version_is_clear(store, events) -> None:
    store.write(events(), "t")
    with pytest.raises(VersionNotFoundError, match="has no version 7: its latest version is 0"):
        store.read("t", version=7)


def test_partition_pruning_opens_only_matching_partition(store, events) -> None:
    store.write(events(0, 90), "t", partition_by=["event_date"])
    plan = store.plan_scan("t", filters=[("event_date", "=", "2026-03-02")])
    assert plan.files and all("event_date=2026-03-02/" in f for f in plan.files)
    assert plan.total_files > len(plan.files)
    assert store.read("t", filters=[("event_date", "=", "2026-03-02")]).count() == 30


def test_min_max_stats_skip_files(store, events) -> None:
    for start in (0, 100, 200):
        store.write(events(start, 50), "t")
    plan = store.plan_scan("t", filters=[("id", ">=", 210)])
    assert plan.skipped >= 2
    assert store.read("t", filters=[("id", ">=", 210)]).count() == 40


def test_filter_on_unknown_column_is_rejected(store, events) -> None:
    store.write(events(), "t")
    with pytest.raises(InvalidWriteError, match="unknown column 'nope'"):
        store.read("t", filters=[("nope", "=", 1)])


def test_missing_table_is_a_clear_error(store) -> None:
    with pytest.raises(TableNotFoundError, match="no Delta table at"):
        store.read("does/not/exist")


def test_read_only_uses_spark_native_parquet(store, events) -> None:
    store.write(events(), "t", partition_by=["event_date"])
    plan = store.read("t")._jdf.queryExecution().executedPlan().toString()
    assert "FileScan parquet" in plan
