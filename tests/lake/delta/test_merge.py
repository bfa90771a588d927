"""MERGE by key: only files holding matching keys are rewritten; one commit."""

from __future__ import annotations

import pytest

from lake.delta import MergeError


def test_upsert_updates_matches_and_inserts_new_keys(store, events, spark, delta_rs) -> None:
    for start in (0, 100, 200):
        store.write(events(start, 50), "t")
    before = store.snapshot("t").version()
    src = spark.range(240, 260).selectExpr("id", "'new' as device", "0.0D as value",
                                           "date'2026-03-01' as event_date")
    res = store.merge(src, "t", on=["id"])
    assert res.rows_updated == 10 and res.rows_inserted == 10
    assert res.files_removed == 1  # only the file holding ids 200..249
    assert res.version == before + 1
    df = store.read("t")
    assert df.count() == 160 and df.where("device = 'new'").count() == 20
    assert delta_rs(store.uri("t")).to_pyarrow_table().num_rows == 160


def test_merge_delete_removes_matching_rows(store, events, spark) -> None:
    store.write(events(0, 50), "t", partition_by=["event_date"])
    res = store.merge(spark.range(0, 10).selectExpr("id", "'' as device", "0.0D as value",
                                                    "date'2026-03-01' as event_date"),
                      "t", on=["id"], when_matched="delete", when_not_matched=None)
    assert res.rows_deleted == 10 and store.read("t").where("id < 10").count() == 0
    assert store.read("t").count() == 40


def test_duplicate_source_keys_are_rejected(store, events, spark) -> None:
    store.write(events(0, 10), "t")
    src = spark.createDataFrame([(1, "a", 1.0), (1, "b", 2.0)], "id long, device string, value double")
    with pytest.raises(MergeError, match="several source rows"):
        store.merge(src, "t", on=["id"])
    assert store.snapshot("t").version() == 0


def test_delete_by_predicate(store, events) -> None:
    store.write(events(0, 90), "t", partition_by=["event_date"])
    res = store.delete("t", "id % 2 = 0")
    assert res.committed and store.read("t").count() == 45
