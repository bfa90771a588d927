"""Splits: seeded and partitioning-independent, stratified by class, by time, with counts recorded."""

from __future__ import annotations

import pytest

from lake.ml.errors import DataError
from lake.ml.spec import SplitSpec
from lake.ml.split import split


def ids(frame) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(r[0] for r in frame.select("visit_id").collect())


def test_same_seed_same_split_whatever_the_partitioning(ml_frame) -> None:  # type: ignore[no-untyped-def]
    spec = SplitSpec(seed=11)
    first = split(ml_frame.repartition(7), spec, "binary", "label", id_col="visit_id")
    second = split(ml_frame.coalesce(1).orderBy("age"), spec, "binary", "label", id_col="visit_id")
    assert first.validation is not None and second.validation is not None
    assert ids(first.train) == ids(second.train)
    assert ids(first.validation) == ids(second.validation)
    assert ids(first.test) == ids(second.test)
    assert first.counts == second.counts


def test_without_an_id_the_row_content_decides(ml_frame) -> None:  # type: ignore[no-untyped-def]
    spec = SplitSpec(seed=5)
    first = split(ml_frame.repartition(5), spec, "regression", "cost")
    second = split(ml_frame.coalesce(1), spec, "regression", "cost")
    assert first.method == "random"
    assert ids(first.test) == ids(second.test)


def test_another_seed_gives_another_split(ml_frame) -> None:  # type: ignore[no-untyped-def]
    a = split(ml_frame, SplitSpec(seed=1), "binary", "label", id_col="visit_id")
    b = split(ml_frame, SplitSpec(seed=2), "binary", "label", id_col="visit_id")
    assert ids(a.test) != ids(b.test)


def test_splits_partition_the_rows(ml_frame) -> None:  # type: ignore[no-untyped-def]
    result = split(ml_frame, SplitSpec(), "binary", "label", id_col="visit_id")
    assert result.validation is not None
    parts = [ids(result.train), ids(result.validation), ids(result.test)]
    assert sorted(i for part in parts for i in part) == list(range(400))
    assert [len(p) for p in parts] == [result.rows["train"], result.rows["validation"], result.rows["test"]]


def test_stratified_split_keeps_each_class_ratio(ml_frame) -> None:  # type: ignore[no-untyped-def]
    result = split(ml_frame, SplitSpec(train=0.6, validation=0.2, test=0.2, seed=3), "binary", "label",
                   id_col="visit_id")
    assert result.method == "stratified" and result.classes is not None
    totals = {c: sum(result.classes[s].get(c, 0) for s in result.classes) for c in ("0", "1")}
    for name, fraction in (("train", 0.6), ("validation", 0.2), ("test", 0.2)):
        for label, total in totals.items():
            assert abs(result.classes[name][label] - fraction * total) <= 1.0
    counted = {r["label"]: r["count"] for r in result.test.groupBy("label").count().collect()}
    assert {str(k): v for k, v in counted.items()} == result.classes["test"]


def test_multiclass_string_labels_are_stratified(ml_frame) -> None:  # type: ignore[no-untyped-def]
    result = split(ml_frame, SplitSpec(seed=9), "multiclass", "risk", id_col="visit_id")
    assert result.classes is not None
    assert set(result.classes["train"]) == {"low", "mid", "high"}
    for label in ("low", "mid", "high"):
        total = sum(result.classes[s][label] for s in result.classes)
        assert abs(result.classes["train"][label] - 0.7 * total) <= 1.0


def test_unstratified_classification_split_when_asked(ml_frame) -> None:  # type: ignore[no-untyped-def]
    result = split(ml_frame, SplitSpec(stratify=False), "binary", "label", id_col="visit_id")
    assert result.method == "random" and result.classes is not None
    assert sum(result.rows.values()) == 400


def test_time_split_puts_the_oldest_rows_in_train(ml_frame) -> None:  # type: ignore[no-untyped-def]
    result = split(ml_frame, SplitSpec(by="event_date"), "binary", "label")
    assert result.method == "time" and result.validation is not None
    newest_train = result.train.agg({"event_date": "max"}).first()[0]
    oldest_validation = result.validation.agg({"event_date": "min"}).first()[0]
    newest_validation = result.validation.agg({"event_date": "max"}).first()[0]
    oldest_test = result.test.agg({"event_date": "min"}).first()[0]
    assert newest_train < oldest_validation and newest_validation < oldest_test
    assert abs(result.rows["train"] - 280) <= 2 and abs(result.rows["test"] - 60) <= 2


def test_time_split_without_validation(ml_frame) -> None:  # type: ignore[no-untyped-def]
    result = split(ml_frame, SplitSpec(train=0.8, validation=0.0, test=0.2, by="event_date"), "regression", "cost")
    assert result.validation is None and result.rows["validation"] == 0
    assert result.rows["train"] + result.rows["test"] == 400


def test_time_split_refuses_null_times(ml_frame) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    holes = ml_frame.withColumn("event_date", F.when(F.col("visit_id") == 3, None).otherwise(F.col("event_date")))
    with pytest.raises(DataError) as info:
        split(holes, SplitSpec(by="event_date"), "binary", "label")
    assert info.value.column == "event_date" and "null in 1 rows" in str(info.value)


def test_too_few_rows_for_a_split_is_an_error(ml_frame) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError, match="split is empty"):
        split(ml_frame.limit(2), SplitSpec(), "regression", "cost", id_col="visit_id")


def test_counts_are_json_ready(ml_frame) -> None:  # type: ignore[no-untyped-def]
    import json

    result = split(ml_frame, SplitSpec(), "binary", "label", id_col="visit_id", cache=True)
    try:
        counts = json.loads(json.dumps(result.counts))
        assert counts["method"] == "stratified" and sum(counts["rows"].values()) == 400
        assert result.assigned is not None and result.assigned.is_cached
    finally:
        result.unpersist()
