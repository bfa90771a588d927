"""Schema enforcement and opt-in evolution."""

from __future__ import annotations

import pytest

from lake.delta import SchemaMismatchError


def test_append_with_wrong_type_names_column_and_types(store, events, spark) -> None:
    store.write(events(), "t")
    bad = events().selectExpr("id", "device", "cast(value as string) as value", "event_date")
    with pytest.raises(SchemaMismatchError) as err:
        store.write(bad, "t")
    assert err.value.column == "value"
    assert err.value.from_type == "string" and err.value.to_type == "double"
    assert "value" in str(err.value) and store.snapshot("t").version() == 0


def test_new_column_without_evolution_is_rejected(store, events) -> None:
    store.write(events(), "t")
    with pytest.raises(SchemaMismatchError, match="'extra' is not in the table"):
        store.write(events().selectExpr("*", "1 as extra"), "t")


def test_schema_evolution_adds_new_columns(store, events, delta_rs) -> None:
    store.write(events(0, 30), "t", partition_by=["event_date"])
    store.write(events(30, 30).selectExpr("*", "id * 2 as extra"), "t", schema_mode="merge")
    df = store.read("t")
    assert df.columns == ["id", "device", "value", "event_date", "extra"]
    assert df.where("extra is null").count() == 30 and df.where("extra is not null").count() == 30
    assert "extra" in delta_rs(store.uri("t")).schema().to_arrow().names


def test_missing_columns_are_written_as_nulls(store, events) -> None:
    store.write(events(), "t")
    store.write(events(100, 5).drop("device"), "t")
    assert store.read("t").where("device is null").count() == 5


def test_safe_widening_is_allowed(store, spark) -> None:
    store.write(spark.createDataFrame([(1,)], "x long"), "t")
    store.write(spark.createDataFrame([(2,)], "x int"), "t")
    assert sorted(r.x for r in store.read("t").collect()) == [1, 2]


def test_overwrite_schema_replaces_the_schema(store, events, spark) -> None:
    store.write(events(), "t")
    store.write(spark.createDataFrame([("a",)], "only string"), "t", mode="overwrite", schema_mode="overwrite")
    assert store.read("t").columns == ["only"]


def test_overwrite_cannot_change_partitioning(store, events) -> None:
    from lake.delta import InvalidWriteError

    store.write(events(), "t", partition_by=["event_date"])
    with pytest.raises(InvalidWriteError, match="changing the partitioning needs a new table"):
        store.write(events(), "t", mode="overwrite", schema_mode="overwrite", partition_by=["device"])
    assert store.read("t").count() == 90 and store.snapshot("t").version() == 0
