"""Writes: create, append, overwrite, dynamic partition overwrite, replaceWhere."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lake.delta import InvalidWriteError, TableExistsError


def _dates(table: pa.Table) -> set[str]:
    return {str(d) for d in pc.unique(table.column("event_date")).to_pylist()}


def test_create_partitioned_table_is_readable_by_deltalake(store, events, delta_rs) -> None:
    res = store.write(events(), "t", mode="create", partition_by=["event_date"])
    assert res.committed and res.version == 0 and res.rows == 90
    dt = delta_rs(res.table)
    assert dt.metadata().partition_columns == ["event_date"]
    data = dt.to_pyarrow_table()
    assert data.num_rows == 90
    assert data.schema.names == ["id", "device", "value", "event_date"]
    assert _dates(data) == {"2026-03-01", "2026-03-02", "2026-03-03"}
    for add in pa.table(dt.get_add_actions(flatten=True)).to_pylist():
        assert add["path"].startswith(f"event_date={add['partition.event_date']}/")
        assert add["num_records"] > 0 and add["min.id"] <= add["max.id"]


def test_create_fails_when_table_exists(store, events) -> None:
    store.write(events(), "t", mode="create")
    with pytest.raises(TableExistsError, match="already exists"):
        store.write(events(), "t", mode="create")


def test_append_adds_rows_and_a_version(store, events, delta_rs) -> None:
    store.write(events(0), "t", partition_by=["event_date"])
    res = store.write(events(90), "t")
    assert res.version == 1
    assert store.read("t").count() == 180
    assert delta_rs(res.table).to_pyarrow_table().num_rows == 180


def test_overwrite_replaces_everything(store, events, delta_rs) -> None:
    store.write(events(0, 90), "t", partition_by=["event_date"])
    res = store.write(events(1000, 10), "t", mode="overwrite")
    assert sorted(r.id for r in store.read("t").collect()) == list(range(1000, 1010))
    assert delta_rs(res.table).to_pyarrow_table().num_rows == 10


def test_dynamic_partition_overwrite_touches_only_present_partitions(store, events, delta_rs) -> None:
    store.write(events(0, 90), "t", partition_by=["event_date"])
    new = events(1000, 30).where("event_date = date'2026-03-02'")
    res = store.write(new, "t", mode="overwrite", overwrite_partitions=True)
    assert res.files_removed > 0
    data = delta_rs(res.table).to_pyarrow_table()
    day2 = data.filter(pc.equal(data.column("event_date"), pa.scalar(new.first().event_date)))
    assert set(day2.column("id").to_pylist()) == {r.id for r in new.collect()}
    assert data.num_rows == 60 + new.count()


def test_replace_where_rewrites_only_matching_rows(store, events, delta_rs) -> None:
    store.write(events(0, 90), "t")
    replacement = events(0, 10).selectExpr("id", "device", "cast(-1.0 as double) as value", "event_date")
    store.write(replacement, "t", mode="overwrite", replace_where=[("id", "<", 10)])
    rows = {r.id: r.value for r in store.read("t").collect()}
    assert len(rows) == 90
    assert all(rows[i] == -1.0 for i in range(10)) and rows[50] == 75.0
    assert delta_rs(store.uri("t")).to_pyarrow_table().num_rows == 90


def test_replace_where_rejects_rows_outside_the_predicate(store, events) -> None:
    store.write(events(0, 90), "t")
    with pytest.raises(InvalidWriteError, match="do not match the predicate"):
        store.write(events(0, 20), "t", mode="overwrite", replace_where="id < 10")
    assert store.snapshot("t").version() == 0


def test_partition_spec_mismatch_is_rejected(store, events) -> None:
    store.write(events(), "t", partition_by=["event_date"])
    with pytest.raises(InvalidWriteError, match="partitioned by"):
        store.write(events(), "t", partition_by=["device"])


def test_unknown_mode_lists_valid_modes(store, events) -> None:
    with pytest.raises(InvalidWriteError, match="valid: append, overwrite, create, error"):
        store.write(events(), "t", mode="upsert")  # type: ignore[arg-type]


def test_special_characters_in_partition_values(store, spark, delta_rs) -> None:
    df = spark.createDataFrame([(1, "a b:c/d"), (2, "x=y%z"), (3, None)], "id long, k string")
    store.write(df, "t", partition_by=["k"])
    back = {r.id: r.k for r in store.read("t").collect()}
    assert back == {1: "a b:c/d", 2: "x=y%z", 3: None}
    assert delta_rs(store.uri("t")).to_pyarrow_table().num_rows == 3


def test_empty_dataframe_creates_an_empty_table(store, events, delta_rs) -> None:
    res = store.write(events().limit(0), "t", partition_by=["event_date"])
    assert res.committed and store.read("t").count() == 0
    assert delta_rs(res.table).schema().to_arrow() is not None
