"""``batch_transform`` on real Spark: output columns, binary and multiclass probabilities, the three filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import IndexToString, StringIndexer, VectorAssembler
from pyspark.ml.regression import LinearRegression

from lake.ml.batch import batch_transform, plan_batch
from lake.ml.errors import BatchTransformError

STAMP = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def frame(ml_frame):  # type: ignore[no-untyped-def]
    return ml_frame.select("visit_id", "bp", "noise", "chol", "label", "risk", "cost")


@pytest.fixture(scope="module")
def binary(frame):  # type: ignore[no-untyped-def]
    return Pipeline(stages=[VectorAssembler(inputCols=["bp", "noise"], outputCol="features"),
                            LogisticRegression(maxIter=10)]).fit(frame)


def test_binary_output_is_the_input_plus_prediction_positive_probability_and_provenance(frame, binary) -> None:  # type: ignore[no-untyped-def]
    out = batch_transform(binary, frame, model_name="heart", version=3, scored_at=STAMP)
    assert out.columns == [*frame.columns, "prediction", "probability", "model_name", "model_version", "scored_at"]
    assert dict(out.dtypes)["probability"] == "double"
    rows = out.collect()
    assert len(rows) == 400 and {r["model_version"] for r in rows} == {"3"}
    expected = {r["visit_id"]: float(r["probability"][1]) for r in binary.transform(frame).collect()}
    assert all(abs(r["probability"] - expected[r["visit_id"]]) < 1e-12 for r in rows)
    assert len({r["scored_at"] for r in rows}) == 1  # one timestamp for the whole run


def test_multiclass_probability_is_a_map_from_class_label(frame) -> None:  # type: ignore[no-untyped-def]
    indexer = StringIndexer(inputCol="risk", outputCol="risk_index").fit(frame)
    model = Pipeline(stages=[VectorAssembler(inputCols=["bp", "noise", "chol"], outputCol="features"),
                             LogisticRegression(labelCol="risk_index", maxIter=20),
                             IndexToString(inputCol="prediction", outputCol="risk_predicted",
                                           labels=indexer.labelsArray[0])]).fit(indexer.transform(frame))
    plan = plan_batch(model)
    assert plan.probability_kind == "multiclass" and set(plan.classes or ()) == {"low", "mid", "high"}
    rows = batch_transform(model, frame, model_name="risk", version=1, join="id", id_col="visit_id").collect()
    assert set(rows[0].asDict()) == {"visit_id", "prediction", "probability", "model_name", "model_version",
                                     "scored_at"}
    for row in rows[:20]:
        assert set(row["probability"]) == {"low", "mid", "high"}
        assert abs(sum(row["probability"].values()) - 1.0) < 1e-9
        assert row["prediction"] == max(row["probability"], key=row["probability"].get)


def test_regression_has_no_probability_and_filters_apply(frame) -> None:  # type: ignore[no-untyped-def]
    model = Pipeline(stages=[VectorAssembler(inputCols=["bp", "chol"], outputCol="features"),
                             LinearRegression(labelCol="cost")]).fit(frame)
    out = batch_transform(model, frame, model_name="cost", version="2", input_columns=["bp", "chol"],
                          keep=["visit_id", "prediction", "model_version"])
    assert out.columns == ["visit_id", "prediction", "model_version"]
    with pytest.raises(BatchTransformError, match=r"the model reads \['chol'\], which the input filter"):
        batch_transform(model, frame, model_name="cost", version=2, input_columns=["bp"])
    with pytest.raises(BatchTransformError, match="id column 'nope' is not in the input"):
        batch_transform(model, frame, model_name="cost", version=2, join="id", id_col="nope")
    with pytest.raises(BatchTransformError, match="clash with the output columns"):
        batch_transform(model, frame.withColumnRenamed("risk", "model_name"), model_name="cost", version=2)
    with pytest.raises(BatchTransformError, match="unknown join source 'both'"):
        batch_transform(model, frame, model_name="cost", version=2, join="both")  # type: ignore[arg-type]
