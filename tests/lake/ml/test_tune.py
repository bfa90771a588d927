"""The tuning loop on real Spark: folds, methods, parallel trials, failures and progress."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.clustering import KMeans
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.regression import LinearRegression
from pyspark.sql import functions as F

from lake.ml.errors import AllTrialsFailedError, TooManyRowsError, TuneSetupError, UnknownMetricError
from lake.ml.evaluate import evaluate
from lake.ml.spec import TuneSpec
from lake.ml.tune import FAILED, LOO_MAX_ROWS, OK, TuneProgress, assign_folds, refit_best, tune


def Spec(**fields: Any) -> TuneSpec:
    """The project's TuneSpec with test defaults (grid, cv, 3 folds, no trial limit, seed 7)."""
    return TuneSpec(**{"strategy": "grid", "method": "cv", "folds": 3, "max_trials": 0, "seed": 7, **fields})


@pytest.fixture(scope="module")
def data(spark):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 3))
    label = (x @ np.array([1.5, -1.0, 0.5]) + rng.normal(0, 1, 240) > 0).astype(float)
    df = spark.createDataFrame(pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "label": label}))
    train, validation = df.randomSplit([0.75, 0.25], seed=1)
    return train.cache(), validation.cache()


def _build(params: dict[str, Any]) -> Pipeline:
    return Pipeline(stages=[
        VectorAssembler(inputCols=["a", "b", "c"], outputCol="features"),
        LogisticRegression(maxIter=10, regParam=params.get("reg_param", 0.0)),
    ])


def _tune(spec: Spec, train, validation, **kwargs: Any):  # type: ignore[no-untyped-def]
    build = kwargs.pop("build", _build)
    options = {"task": "binary", "label_col": "label", "metric": "roc_auc", "greater_is_better": True, **kwargs}
    return tune(build, spec, train, validation, **options)


def test_folds_are_disjoint_covering_and_independent_of_partitioning(data) -> None:  # type: ignore[no-untyped-def]
    train, _ = data
    folded = assign_folds(train, 4, seed=3, column="fold")
    repartitioned = assign_folds(train.repartition(7), 4, seed=3, column="fold")
    rows = {tuple(r[:4]): r["fold"] for r in folded.collect()}
    again = {tuple(r[:4]): r["fold"] for r in repartitioned.collect()}
    assert rows == again  # same row, same fold, whatever the partitioning
    assert len(rows) == train.count() and set(rows.values()) == {0, 1, 2, 3}
    other_seed = {tuple(r[:4]): r["fold"] for r in assign_folds(train, 4, seed=4, column="fold").collect()}
    assert other_seed != rows


def test_cross_validated_grid_records_every_trial(data) -> None:  # type: ignore[no-untyped-def]
    train, _ = data
    spec = Spec(space={"reg_param": [0.0, 10.0]}, folds=3)
    result = _tune(spec, train, None)
    assert [t.index for t in result.trials] == [0, 1]
    assert [t.params for t in result.trials] == [{"reg_param": 0.0}, {"reg_param": 10.0}]
    assert all(t.status == OK and len(t.fold_metrics) == 3 and t.metric_std is not None for t in result.trials)
    assert sum(result.fold_rows) == train.count() and len(result.fold_rows) == 3
    best = max(result.trials, key=lambda t: (t.metric, -t.index))
    assert (result.best_index, result.best_params, result.best_metric) == (best.index, best.params, best.metric)
    for t in result.trials:
        assert t.metric == pytest.approx(np.mean(t.fold_metrics))
    assert len(result.rows()) == 2 and sum(r["best"] for r in result.rows()) == 1


def test_holdout_scores_on_the_validation_split(data) -> None:  # type: ignore[no-untyped-def]
    train, validation = data
    result = _tune(Spec(space={"reg_param": [0.01]}, method="holdout"), train, validation)
    expected = evaluate(_build({"reg_param": 0.01}).fit(train).transform(validation), "binary").metrics["roc_auc"]
    assert result.trials[0].metric == pytest.approx(expected, abs=1e-12)
    assert result.fold_rows == [validation.count()]
    model = refit_best(_build, result, train, validation)
    assert model.transform(validation).count() == validation.count()


def test_holdout_without_validation_is_refused(data) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TuneSetupError, match="needs a validation split"):
        _tune(Spec(method="holdout"), data[0], None)


def test_parallel_trials_record_every_trial_and_report_progress(data) -> None:  # type: ignore[no-untyped-def]
    train, _ = data
    seen: list[TuneProgress] = []
    threads: set[str] = set()

    def build(params: dict[str, Any]) -> Pipeline:
        threads.add(threading.current_thread().name)
        return _build(params)

    spec = Spec(strategy="random", space={"reg_param": {"low": 1e-3, "high": 1.0, "log": True}}, max_trials=4,
                parallelism=2, method="holdout")
    result = _tune(spec, train, data[1], build=build, progress=seen.append)
    assert sorted(t.index for t in result.trials) == [0, 1, 2, 3]
    assert all(t.status == OK for t in result.trials)
    assert len(threads) == 2 and all(n.startswith("lakeforge-tune") for n in threads)
    assert [p.stage for p in seen] == ["started", "trial", "trial", "trial", "trial", "finished"]
    assert [p.done for p in seen] == [0, 1, 2, 3, 4, 4] and {p.total for p in seen} == {4}
    assert seen[-1].best_metric == result.best_metric and seen[-1].best_params == result.best_params
    elapsed = [p.elapsed_seconds for p in seen]
    assert elapsed == sorted(elapsed)
    trial_bests = [p.best_metric for p in seen[1:-1]]
    assert trial_bests == sorted(trial_bests)  # best so far never gets worse for roc_auc


def test_a_failing_trial_is_recorded_and_the_search_goes_on(data) -> None:  # type: ignore[no-untyped-def]
    train, validation = data
    spec = Spec(space={"reg_param": [0.1, -1.0]}, method="holdout", parallelism=2)
    result = _tune(spec, train, validation)
    good, bad = result.trials
    assert good.status == OK and result.best_index == 0
    assert bad.status == FAILED and bad.metric is None
    assert bad.error is not None and "\n" not in bad.error and "regParam" in bad.error


def test_all_trials_failing_is_one_clear_error(data) -> None:  # type: ignore[no-untyped-def]
    train, validation = data

    def build(params: dict[str, Any]) -> Pipeline:
        raise ValueError(f"no such algorithm setting {params}")

    with pytest.raises(AllTrialsFailedError, match=r"all 2 tuning trials failed; trial 0 \(\{\"x\": 1\}\): ValueError"):
        _tune(Spec(space={"x": [1, 2]}, method="holdout"), train, validation, build=build)


def test_leave_one_out_pools_the_held_out_predictions(spark) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(4)
    x = rng.normal(size=8)
    y = 3 * x + rng.normal(0, 0.1, 8)
    df = spark.createDataFrame(pd.DataFrame({"a": x, "label": y}))

    def build(params: dict[str, Any]) -> Pipeline:
        return Pipeline(stages=[VectorAssembler(inputCols=["a"], outputCol="features"), LinearRegression()])

    result = tune(build, Spec(method="loo"), df, None, task="regression", label_col="label", metric="rmse",
                  greater_is_better=False)
    trial = result.trials[0]
    assert trial.status == OK and result.fold_rows == [1] * 8 and trial.metric_std is None
    errors = []  # ordinary least squares leaving each row out, as Spark's normal-equation solver computes it
    for i in range(8):
        keep = np.arange(8) != i
        slope, intercept = np.polyfit(x[keep], y[keep], 1)
        errors.append(slope * x[i] + intercept - y[i])
    assert trial.metric == pytest.approx(float(np.sqrt(np.mean(np.square(errors)))), rel=1e-6)


def test_leave_one_out_above_the_limit_is_refused_before_training(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.range(LOO_MAX_ROWS + 1).select(F.col("id").cast("double").alias("a"), F.lit(1.0).alias("label"))
    built: list[dict[str, Any]] = []

    def build(params: dict[str, Any]) -> Pipeline:
        built.append(params)
        return _build(params)

    with pytest.raises(TooManyRowsError, match="leave-one-out cross-validation takes at most 1,000 rows, got 1,001"):
        _tune(Spec(method="loo"), df, None, build=build)
    assert built == []


def test_metric_problems_are_found_before_training(data) -> None:  # type: ignore[no-untyped-def]
    train, _ = data
    with pytest.raises(UnknownMetricError, match="unknown metric 'rmse' for task binary"):
        _tune(Spec(), train, None, metric="rmse")
    with pytest.raises(TuneSetupError, match="roc_auc is better when higher, but greater_is_better=False"):
        _tune(Spec(), train, None, greater_is_better=False)
    with pytest.raises(TuneSetupError, match="fold 5 of 300 is empty|fold .* of 300 is empty"):
        _tune(Spec(folds=300), train, None)


def test_clustering_is_tuned_on_held_out_silhouette(data) -> None:  # type: ignore[no-untyped-def]
    train, _ = data

    def build(params: dict[str, Any]) -> Pipeline:
        return Pipeline(stages=[VectorAssembler(inputCols=["a", "b", "c"], outputCol="features"),
                                KMeans(k=params["k"], seed=1, maxIter=5)])

    result = tune(build, Spec(space={"k": [2, 3]}, folds=2), train, None, task="clustering", label_col="label",
                  metric="silhouette", greater_is_better=True)
    assert [t.status for t in result.trials] == [OK, OK]
    assert all(-1 <= (t.metric or 0) <= 1 for t in result.trials)
