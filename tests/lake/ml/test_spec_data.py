"""The spec checked against the data: one-line errors naming the column, before any training."""

from __future__ import annotations

from typing import Any

import pytest

from lake.ml.errors import DataError
from lake.ml.spec import TrainSpec, validate_against

DROP = ["outcome", "risk", "cost", "notes", "event_date"]


def make_spec(**changes: Any) -> TrainSpec:
    data: dict[str, Any] = {"name": "check", "source": "t", "task": "binary", "label": "label", "id": "visit_id",
                            "exclude": DROP, "model": {"algorithm": "logistic_regression"}}
    data.update(changes)
    return TrainSpec.from_mapping({k: v for k, v in data.items() if v is not None})


def refused(spec: TrainSpec, frame) -> DataError:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError) as info:
        validate_against(spec, frame)
    assert "\n" not in str(info.value)
    return info.value


def test_valid_spec_passes_and_reports_counts(ml_frame) -> None:  # type: ignore[no-untyped-def]
    check = validate_against(make_spec(), ml_frame)
    assert check.rows == 400 and check.label_classes == 2
    assert check.features == ("age", "bp", "chol", "smoker", "sex", "flat", "sparse", "noise")
    assert check.non_null["age"] == 360 and check.non_null["label"] == 400


def test_missing_label_column(ml_frame) -> None:  # type: ignore[no-untyped-def]
    error = refused(make_spec(label="lable"), ml_frame)
    assert error.column == "lable" and "(label) is not in the source (did you mean 'label'?)" in str(error)
    assert "visit_id" in str(error)


def test_missing_id_column(ml_frame) -> None:  # type: ignore[no-untyped-def]
    assert refused(make_spec(id="visit"), ml_frame).column == "visit"


def test_missing_feature_column(ml_frame) -> None:  # type: ignore[no-untyped-def]
    error = refused(make_spec(features=["age", "cholesterol"]), ml_frame)
    assert error.column == "cholesterol" and "(feature)" in str(error)


def test_missing_excluded_column(ml_frame) -> None:  # type: ignore[no-untyped-def]
    assert refused(make_spec(exclude=[*DROP, "patient_id"]), ml_frame).column == "patient_id"


def test_label_with_a_single_class(ml_frame) -> None:  # type: ignore[no-untyped-def]
    error = refused(make_spec(), ml_frame.where("label = 1"))
    assert error.column == "label" and "single class (1)" in str(error)


def test_binary_task_with_three_classes(ml_frame) -> None:  # type: ignore[no-untyped-def]
    error = refused(make_spec(label="risk", exclude=["label", "outcome", "cost", "notes", "event_date"]), ml_frame)
    assert error.column == "risk" and "3 classes" in str(error) and "multiclass" in str(error)


def test_non_numeric_regression_label(ml_frame) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec(task="regression", label="risk", exclude=["label", "outcome", "cost", "notes", "event_date"],
                     model={"algorithm": "linear_regression"})
    error = refused(spec, ml_frame)
    assert error.column == "risk" and "must be numeric" in str(error)


def test_empty_source(ml_frame) -> None:  # type: ignore[no-untyped-def]
    error = refused(make_spec(), ml_frame.limit(0))
    assert error.column is None and "no rows" in str(error)


def test_feature_entirely_null(ml_frame) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    error = refused(make_spec(), ml_frame.withColumn("chol", F.lit(None).cast("double")))
    assert error.column == "chol" and "entirely null" in str(error)


def test_rows_without_label(ml_frame) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    holes = ml_frame.withColumn("label", F.when(F.col("visit_id") < 3, None).otherwise(F.col("label")))
    error = refused(make_spec(), holes)
    assert error.column == "label" and "3 of 400 rows have no label" in str(error)


def test_unusable_feature_type(ml_frame) -> None:  # type: ignore[no-untyped-def]
    error = refused(make_spec(exclude=["outcome", "risk", "cost", "notes"]), ml_frame)
    assert error.column == "event_date" and "date" in str(error) and "exclude it" in str(error)


def test_column_clashing_with_an_output_column(ml_frame) -> None:  # type: ignore[no-untyped-def]
    error = refused(make_spec(), ml_frame.withColumnRenamed("noise", "prediction"))
    assert error.column == "prediction" and "rename it" in str(error)


def test_text_column_must_be_a_string(ml_frame) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec(task="topics", label=None, text="bp", exclude=[], model={"algorithm": "lda"})
    assert refused(spec, ml_frame).column == "bp"


def test_time_split_column_must_hold_times(ml_frame) -> None:  # type: ignore[no-untyped-def]
    error = refused(make_spec(split={"by": "smoker"}), ml_frame)
    assert error.column == "smoker" and "time split" in str(error)
