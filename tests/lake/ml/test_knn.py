"""Our kNN estimator: exact brute force vs LSH, the auto threshold, fallbacks, save and load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lake.ml.algorithms.knn import KNN, KNNModel
from lake.ml.errors import DataError

RNG = np.random.default_rng(3)
TRAIN_X = np.vstack([RNG.normal(0.0, 1.0, (150, 3)), RNG.normal(3.0, 1.0, (150, 3))])
TRAIN_Y = np.array([0.0] * 150 + [1.0] * 150)
TRAIN_T = TRAIN_X @ np.array([1.0, -2.0, 0.5]) + RNG.normal(0, 0.1, 300)
QUERY_X = np.vstack([RNG.normal(0.0, 1.0, (40, 3)), RNG.normal(3.0, 1.0, (40, 3))])


def frame(spark, x: np.ndarray, y: np.ndarray | None = None, target: np.ndarray | None = None):  # type: ignore[no-untyped-def]
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.sql.types import DoubleType, LongType, StructField, StructType

    rows = [(i, Vectors.dense(x[i].tolist()), None if y is None else float(y[i]),
             None if target is None else float(target[i])) for i in range(len(x))]
    schema = StructType([StructField("rid", LongType()), StructField("features", VectorUDT()),
                         StructField("label", DoubleType()), StructField("target", DoubleType())])
    return spark.createDataFrame(rows, schema)


def brute_force(k: int) -> np.ndarray:
    d2 = ((QUERY_X[:, None, :] - TRAIN_X[None, :, :]) ** 2).sum(axis=2)
    return np.argsort(d2, axis=1, kind="stable")[:, :k]


@pytest.fixture(scope="module")
def train(spark):  # type: ignore[no-untyped-def]
    data = frame(spark, TRAIN_X, TRAIN_Y, TRAIN_T).cache()
    yield data
    data.unpersist()


@pytest.fixture(scope="module")
def queries(spark):  # type: ignore[no-untyped-def]
    return frame(spark, QUERY_X).drop("label", "target")


def predictions(model: KNNModel, queries) -> list:  # type: ignore[no-untyped-def]
    return model.transform(queries).orderBy("rid").collect()


def test_exact_classification_matches_brute_force(train, queries) -> None:  # type: ignore[no-untyped-def]
    model = KNN(k=5, method="exact").fit(train)
    assert model.method_used == "exact"
    neighbours = brute_force(5)
    for row, idx in zip(predictions(model, queries), neighbours, strict=True):
        votes = np.bincount(TRAIN_Y[idx].astype(int), minlength=2)
        assert row["prediction"] == float(votes.argmax())
        assert list(row["probability"]) == pytest.approx(list(votes / 5))
        assert list(row["rawPrediction"]) == list(votes.astype(float))
        assert row["neighbors_found"] == 5


def test_exact_regression_is_the_neighbours_mean(train, queries) -> None:  # type: ignore[no-untyped-def]
    model = KNN(k=4, method="exact", task="regression", labelCol="target").fit(train)
    rows = predictions(model, queries)
    assert "probability" not in rows[0]
    expected = TRAIN_T[brute_force(4)].mean(axis=1)
    assert [r["prediction"] for r in rows] == pytest.approx(expected.tolist(), rel=1e-9)


def test_auto_switches_to_lsh_above_the_threshold(train) -> None:  # type: ignore[no-untyped-def]
    assert KNN(k=3).fit(train).method_used == "exact"
    model = KNN(k=3, exactMaxRows=100).fit(train)
    assert model.method_used == "lsh" and model.getOrDefault("bucketLength") > 0


def test_lsh_agrees_with_exact_on_most_rows_and_keeps_every_row(train, queries) -> None:  # type: ignore[no-untyped-def]
    exact = predictions(KNN(k=5, method="exact").fit(train), queries)
    lsh_model = KNN(k=5, method="lsh", numHashTables=4, seed=1).fit(train)
    approx = predictions(lsh_model, queries)
    assert [r["rid"] for r in approx] == [r["rid"] for r in exact]
    assert set(approx[0].asDict()) == set(exact[0].asDict())
    agree = sum(a["prediction"] == e["prediction"] for a, e in zip(approx, exact, strict=True))
    assert agree >= 0.9 * len(exact)
    assert all(0 <= r["neighbors_found"] <= 5 for r in approx)
    assert sum(r["neighbors_found"] == 5 for r in approx) >= 0.8 * len(approx)


def test_lsh_regression(train, queries) -> None:  # type: ignore[no-untyped-def]
    model = KNN(k=4, method="lsh", task="regression", labelCol="target", numHashTables=4).fit(train)
    expected = TRAIN_T[brute_force(4)].mean(axis=1)
    got = np.array([r["prediction"] for r in predictions(model, queries)])
    assert np.corrcoef(got, expected)[0, 1] > 0.95


def test_lsh_row_without_candidates_gets_the_prior(spark, train) -> None:  # type: ignore[no-untyped-def]
    model = KNN(k=3, method="lsh", bucketLength=0.5, numHashTables=1).fit(train)
    far = frame(spark, np.array([[1e6, -1e6, 1e6]])).drop("label", "target")
    row = model.transform(far).first()
    assert row["neighbors_found"] == 0
    assert list(row["probability"]) == pytest.approx([0.5, 0.5]) and row["prediction"] == 0.0


@pytest.mark.parametrize("method", ["exact", "lsh"])
def test_model_saves_and_loads_alone_and_in_a_pipeline(train, queries, tmp_path: Path, method: str) -> None:  # type: ignore[no-untyped-def]
    from pyspark.ml import Pipeline, PipelineModel
    from pyspark.ml.feature import StandardScaler

    model = KNN(k=5, method=method, seed=2).fit(train)
    model.write().save(str(tmp_path / "knn"))
    loaded = KNNModel.load(str(tmp_path / "knn"))
    assert loaded.method_used == method and loaded.getOrDefault("trainingRows") == 300
    assert predictions(loaded, queries) == predictions(model, queries)

    scaled = train.withColumnRenamed("features", "raw")
    pipeline = Pipeline(stages=[StandardScaler(inputCol="raw", outputCol="features"), KNN(k=5, method=method)])
    fitted = pipeline.fit(scaled)
    fitted.write().save(str(tmp_path / "pipeline"))
    again = PipelineModel.load(str(tmp_path / "pipeline"))
    raw_queries = queries.withColumnRenamed("features", "raw")
    expected = fitted.transform(raw_queries).orderBy("rid").collect()
    assert again.transform(raw_queries).orderBy("rid").collect() == expected


def test_classification_needs_class_indices(spark) -> None:  # type: ignore[no-untyped-def]
    data = frame(spark, TRAIN_X[:10], TRAIN_Y[:10] + 0.5)
    with pytest.raises(DataError) as info:
        KNN(k=3).fit(data)
    assert info.value.column == "label" and "class indices" in str(info.value)


def test_empty_training_set_is_an_error(train) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError, match="no training rows"):
        KNN(k=3).fit(train.limit(0))
