"""Every algorithm fits and predicts for each task it serves; its pipeline saves and reloads unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lake.ml.algorithms import ALGORITHMS, get_algorithm
from lake.ml.errors import SpecError
from lake.ml.prep import PrepPlan, PrepReport, build_pipeline, plan_prep, with_validation_indicator
from lake.ml.spec import TrainSpec
from lake.ml.split import split

FEATURES = ["age", "bp", "chol"]
LABELS = {"binary": "label", "multiclass": "risk", "regression": "cost"}
CLASSES = {"binary": {0.0, 1.0}, "multiclass": {"low", "mid", "high"}}

# (algorithm, task, tiny params, save and reload?)
CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("logistic_regression", "binary", {"max_iter": 10, "reg_param": 0.01, "elastic_net": 0.5}, True),
    ("logistic_regression", "multiclass", {"max_iter": 10}, False),
    ("linear_regression", "regression", {"max_iter": 10, "reg_param": 0.1}, True),
    ("linear_svm", "binary", {"max_iter": 10}, True),
    ("decision_tree", "binary", {"max_depth": 3}, False),
    ("decision_tree", "multiclass", {"max_depth": 3, "impurity": "entropy"}, True),
    ("decision_tree", "regression", {"max_depth": 3}, False),
    ("random_forest", "binary", {"num_trees": 4, "max_depth": 3}, True),
    ("random_forest", "multiclass", {"num_trees": 4, "max_depth": 3}, False),
    ("random_forest", "regression", {"num_trees": 4, "max_depth": 3, "subsample": 0.8}, False),
    ("gbt", "binary", {"max_iter": 4, "max_depth": 2, "learning_rate": 0.3}, True),
    ("gbt", "regression", {"num_trees": 4, "max_depth": 2}, False),
    ("xgboost", "binary", {"num_trees": 5, "max_depth": 2}, True),
    ("xgboost", "multiclass", {"num_trees": 5, "max_depth": 2}, False),
    ("xgboost", "regression", {"num_trees": 5, "max_depth": 2, "learning_rate": 0.3}, False),
    ("naive_bayes", "binary", {"smoothing": 1.0}, True),
    ("naive_bayes", "multiclass", {"model_type": "gaussian"}, False),
    ("mlp", "binary", {"layers": [4], "max_iter": 20, "block_size": 32}, True),
    ("mlp", "multiclass", {"layers": [6, 4], "max_iter": 20, "solver": "gd", "step_size": 0.1}, False),
    ("fm", "binary", {"max_iter": 5, "factor_size": 2}, True),
    ("fm", "regression", {"max_iter": 5, "factor_size": 2}, False),
    ("knn", "binary", {"k": 5}, True),
    ("knn", "multiclass", {"k": 7}, False),
    ("knn", "regression", {"k": 5}, False),
    ("kmeans", "clustering", {"k": 3, "max_iter": 5}, True),
    ("bisecting_kmeans", "clustering", {"k": 3, "max_iter": 5}, True),
    ("gaussian_mixture", "clustering", {"k": 2, "max_iter": 5}, True),
    ("lda", "topics", {"k": 2, "max_iter": 5, "top_words": 4}, True),
    ("pca", "reduction", {"k": 2}, True),
]


def make_spec(algorithm: str, task: str, params: dict[str, Any], **extra: Any) -> TrainSpec:
    data: dict[str, Any] = {"name": "algo_test", "source": "t", "task": task, "id": "visit_id",
                            "model": {"algorithm": algorithm, **params}}
    if task in LABELS:
        data.update(label=LABELS[task], features=FEATURES)
    elif task == "topics":
        data["text"] = "notes"
    else:
        data["features"] = FEATURES
    scale = {"knn": "standard", "mlp": "standard", "fm": "minmax", "kmeans": "standard"}.get(algorithm)
    if scale:
        data["prep"] = {"scale": scale}
    data.update(extra)
    return TrainSpec.from_mapping(data)


@pytest.fixture(scope="module")
def parts(ml_frame):  # type: ignore[no-untyped-def]
    result = split(ml_frame, make_spec("logistic_regression", "binary", {}).split, "binary", "label",
                   id_col="visit_id", cache=True)
    yield result
    result.unpersist()


_PLANS: dict[tuple[Any, ...], PrepPlan] = {}


def build(spec: TrainSpec, parts, params: dict[str, Any] | None = None) -> tuple[Any, PrepReport]:  # type: ignore[no-untyped-def]
    """``build_pipeline`` with the training-split plan shared by specs with the same columns (saves Spark jobs)."""
    key = (spec.task, spec.label, spec.features, spec.text)
    if key not in _PLANS:
        _PLANS[key] = plan_prep(spec, parts.train)
    return build_pipeline(spec, parts.train, params, plan=_PLANS[key])


def test_every_registered_algorithm_is_exercised() -> None:
    assert {c[0] for c in CASES} == set(ALGORITHMS)
    for name, algorithm in ALGORITHMS.items():
        assert {c[1] for c in CASES if c[0] == name} == set(algorithm.tasks), name


@pytest.mark.parametrize(("algorithm", "task", "params", "reload"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_fits_predicts_and_reloads(parts, tmp_path: Path, algorithm: str, task: str, params: dict[str, Any],
                                   reload: bool) -> None:  # type: ignore[no-untyped-def]
    from pyspark.ml import PipelineModel

    spec = make_spec(algorithm, task, params)
    pipeline, report = build(spec, parts)
    model = pipeline.fit(parts.train)
    out = model.transform(parts.test)
    wanted = _expected_columns(algorithm, task)
    assert set(wanted) <= set(out.columns), (wanted, out.columns)
    assert {k: v for k, v in report.columns.items() if v} .keys() >= {"features"}
    rows = out.select("visit_id", *wanted).orderBy("visit_id").collect()
    assert len(rows) == parts.rows["test"]
    _check_rows(rows, algorithm, task, params)
    if reload:
        model.write().save(str(tmp_path / "model"))
        again = PipelineModel.load(str(tmp_path / "model")).transform(parts.test)
        assert again.select("visit_id", *wanted).orderBy("visit_id").collect() == rows
    if algorithm in ("lda", "knn"):
        complete = report.complete(model)
        if algorithm == "lda":
            topics = complete.model["topics"]
            assert len(topics) == 2 and all(len(t["words"]) == 4 for t in topics)
        else:
            assert complete.model["method"] == "exact"


def test_kmeans_auto_chooses_k_by_silhouette(parts) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec("kmeans", "clustering", {"k": "auto", "k_min": 2, "k_max": 4, "max_iter": 5})
    pipeline, report = build(spec, parts)
    scores = report.model["k_auto"]["silhouette"]
    assert set(scores) == {"2", "3", "4"}
    chosen = report.model["k_auto"]["chosen"]
    assert scores[str(chosen)] == max(scores.values())
    model = pipeline.fit(parts.train)
    assert model.stages[-1].getK() == chosen
    assert {r[0] for r in model.transform(parts.test).select("prediction").distinct().collect()} <= set(range(chosen))


def test_pca_model_k_from_variance(parts) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec("pca", "reduction", {"variance": 0.7}, prep={"scale": "standard"})
    pipeline, report = build(spec, parts)
    k = report.params["k"]
    complete = report.complete(pipeline.fit(parts.train))
    variance = complete.model["explained_variance"]
    assert len(variance) == k and complete.model["explained_total"] >= 0.7


def test_params_override_the_spec_and_map_to_mllib_names(parts) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec("gbt", "binary", {"max_depth": 4})
    pipeline, report = build(spec, parts, {"max_depth": 2, "learning_rate": 0.2, "subsample": 0.5})
    gbt = pipeline.getStages()[-1]
    assert (gbt.getMaxDepth(), gbt.getStepSize(), gbt.getSubsamplingRate()) == (2, 0.2, 0.5)
    assert gbt.getSeed() == spec.split.seed and report.params["max_depth"] == 2
    with pytest.raises(SpecError) as info:
        build(spec, parts, {"depth": 2})
    assert info.value.key == "params.depth" and "max_depth" in str(info.value)


def test_xgboost_workers_are_capped_at_the_task_slots(parts) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec("xgboost", "binary", {"num_workers": 64})
    pipeline, report = build(spec, parts)
    slots = parts.train.sparkSession.sparkContext.defaultParallelism
    assert pipeline.getStages()[-1].getOrDefault("num_workers") == slots
    assert any("num_workers lowered from 64" in n for n in report.notes)


def test_naive_bayes_gets_min_max_scaling_and_clipping(parts, spark) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec("naive_bayes", "binary", {}, features=["age", "noise", "smoker"])
    pipeline, report = build(spec, parts)
    assert report.scale == "minmax" and any("naive Bayes needs non-negative" in n for n in report.notes)
    model = pipeline.fit(parts.train)
    far = spark.createDataFrame([(1, -500.0, -99.0, "never")],
                                "visit_id long, age double, noise double, smoker string")
    assert model.transform(far).first()["prediction"] in (0.0, 1.0)


def test_linear_svm_has_no_probability_column(parts) -> None:  # type: ignore[no-untyped-def]
    _, report = build(make_spec("linear_svm", "binary", {"max_iter": 5}), parts)
    assert report.columns["probability"] is None and report.columns["raw_prediction"] == "rawPrediction"


@pytest.mark.parametrize("algorithm", ["gbt", "xgboost"])
def test_early_stopping_trains_on_train_and_watches_validation(parts, algorithm: str) -> None:  # type: ignore[no-untyped-def]
    params = {"max_iter": 30, "max_depth": 2} if algorithm == "gbt" else {"num_trees": 30, "max_depth": 2}
    spec = make_spec(algorithm, "binary", params, tune={"early_stopping": 2})
    pipeline, _ = build(spec, parts)
    estimator = pipeline.getStages()[-1].estimator
    assert estimator.getOrDefault("validationIndicatorCol") == "_lf_is_validation"
    model = pipeline.fit(with_validation_indicator(parts.train, parts.validation))
    fitted = model.stages[-1]
    if algorithm == "gbt":
        assert fitted.getNumTrees < 30
    else:
        assert fitted.get_booster().best_iteration < 29
    assert model.transform(parts.test).count() == parts.rows["test"]


def test_early_stopping_spec_still_fits_data_without_the_indicator(parts) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec("gbt", "binary", {"max_iter": 3, "max_depth": 2}, tune={"early_stopping": 2})
    pipeline, _ = build(spec, parts)
    model = pipeline.fit(parts.train)
    assert model.stages[-1].getNumTrees == 3


def test_unknown_algorithm_lists_the_valid_ones() -> None:
    with pytest.raises(SpecError) as info:
        get_algorithm("random_forrest")
    assert "did you mean 'random_forest'" in str(info.value) and "knn" in str(info.value)


def _expected_columns(algorithm: str, task: str) -> list[str]:
    if task == "topics":
        return ["topicDistribution"]
    if task == "reduction":
        return ["projection"]
    if task == "clustering":
        return ["prediction", "probability"] if algorithm == "gaussian_mixture" else ["prediction"]
    if task == "regression":
        return ["prediction"]
    found = get_algorithm(algorithm)
    wanted = ["prediction"]
    if found.probability:
        wanted.append("probability")
    if found.raw_prediction:
        wanted.append("rawPrediction")
    if task == "multiclass":
        wanted.append("prediction_index")
    return wanted


def _check_rows(rows: list[Any], algorithm: str, task: str, params: dict[str, Any]) -> None:
    if task in CLASSES:
        assert {r["prediction"] for r in rows} <= CLASSES[task]
        width = 2 if task == "binary" else 3
        if "probability" in rows[0]:
            for row in rows:
                assert len(row["probability"]) == width
                assert sum(row["probability"]) == pytest.approx(1.0, abs=1e-6)
    elif task == "regression":
        assert all(isinstance(r["prediction"], float) and r["prediction"] == r["prediction"] for r in rows)
        assert len({round(r["prediction"], 6) for r in rows}) > 1
    elif task == "clustering":
        assert {r["prediction"] for r in rows} <= set(range(params["k"]))
    elif task == "topics":
        assert all(len(r["topicDistribution"]) == params["k"] for r in rows)
    else:
        assert all(len(r["projection"]) == params["k"] for r in rows)
