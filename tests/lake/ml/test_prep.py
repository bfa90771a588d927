"""Prep: each item does what it says, decided on the training split, recorded in the report."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from lake.ml.errors import DataError
from lake.ml.prep import build_pipeline, plan_prep
from lake.ml.spec import TrainSpec
from lake.ml.split import split

DROP = ["outcome", "risk", "cost", "notes", "event_date"]


def make_spec(**changes: Any) -> TrainSpec:
    data: dict[str, Any] = {"name": "prep_test", "source": "t", "task": "binary", "label": "label", "id": "visit_id",
                            "exclude": DROP, "model": {"algorithm": "logistic_regression", "max_iter": 5}}
    data.update(changes)
    return TrainSpec.from_mapping(data)


@pytest.fixture(scope="module")
def parts(ml_frame):  # type: ignore[no-untyped-def]
    result = split(ml_frame, make_spec().split, "binary", "label", id_col="visit_id", cache=True)
    yield result
    result.unpersist()


def test_mean_imputation_uses_the_training_mean(parts) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    spec = make_spec(features=["age", "bp"])
    pipeline, report = build_pipeline(spec, parts.train)
    model = pipeline.fit(parts.train)
    complete = report.complete(model)
    expected = parts.train.agg(F.avg("age")).first()[0]
    entry = next(e for e in complete.imputed if e["column"] == "age")
    assert entry["strategy"] == "mean" and entry["value"] == pytest.approx(expected, rel=1e-12)
    filled = model.transform(parts.test.where(F.col("age").isNull())).select("_lf_imp_age").distinct().collect()
    assert [r[0] for r in filled] == [pytest.approx(expected, rel=1e-12)]


def test_per_column_median_and_string_mode(parts) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    spec = make_spec(features=["age", "smoker"], prep={"impute_columns": {"age": "median", "smoker": "mode"}})
    pipeline, report = build_pipeline(spec, parts.train)
    complete = report.complete(pipeline.fit(parts.train))
    age = next(e for e in complete.imputed if e["column"] == "age")
    smoker = next(e for e in complete.imputed if e["column"] == "smoker")
    median = parts.train.agg(F.percentile_approx("age", 0.5, 100000)).first()[0]
    assert age["strategy"] == "median" and age["value"] == pytest.approx(median, abs=1e-9)
    mode = parts.train.where(F.col("smoker").isNotNull()).groupBy("smoker").count().orderBy(F.desc("count")).first()
    assert smoker == {"column": "smoker", "strategy": "mode", "missing_fraction": pytest.approx(
        smoker["missing_fraction"]), "value": mode["smoker"]}


def test_max_missing_drops_the_column_with_its_reason(parts) -> None:  # type: ignore[no-untyped-def]
    plan = plan_prep(make_spec(prep={"max_missing": 0.5}), parts.train)
    dropped = {d.column: d.reason for d in plan.dropped}
    assert set(dropped) == {"sparse"}
    assert "missing in the training split, above max_missing 0.5" in dropped["sparse"]
    assert "sparse" not in plan.numeric and plan.missing["sparse"] > 0.7


def test_low_correlation_drops_noise_and_constants(parts) -> None:  # type: ignore[no-untyped-def]
    plan = plan_prep(make_spec(features=["age", "bp", "noise", "flat"], prep={"drop_low_correlation": 0.1}),
                     parts.train)
    dropped = {d.column: d.reason for d in plan.dropped}
    assert abs(plan.correlations["age"]) > 0.1 and abs(plan.correlations["bp"]) > 0.1
    assert abs(plan.correlations["noise"]) < 0.1 and "below drop_low_correlation 0.1" in dropped["noise"]
    assert math.isnan(plan.correlations["flat"]) and "constant" in dropped["flat"]
    assert plan.numeric == ("age", "bp")


def test_low_variance_slots_are_dropped_and_reported(parts) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec(features=["age", "bp", "flat"], prep={"drop_low_variance": 0.0})
    pipeline, report = build_pipeline(spec, parts.train)
    model = pipeline.fit(parts.train)
    complete = report.complete(model)
    assert complete.low_variance == {"threshold": 0.0, "dropped": ["flat"]}
    assert complete.feature_names == ["age", "bp"]
    assert model.transform(parts.test).first()["features"].size == 2


def test_pca_k_is_chosen_by_explained_variance_on_train(parts) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec(features=["age", "bp", "chol", "noise"], prep={"scale": "standard", "pca": 0.6})
    pipeline, report = build_pipeline(spec, parts.train)
    assert report.pca is not None
    k, variance = report.pca["k"], report.pca["explained_variance_all"]
    assert sum(variance[:k]) >= 0.6 > sum(variance[: k - 1])
    model = pipeline.fit(parts.train)
    complete = report.complete(model)
    assert complete.pca is not None and complete.pca["k"] == k
    assert complete.feature_names == [f"pc{i + 1}" for i in range(k)]
    assert model.transform(parts.test).first()["features"].size == k


def test_one_hot_encoding_survives_unseen_and_missing_categories(parts, spark) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec(features=["age", "smoker"])
    pipeline, report = build_pipeline(spec, parts.train)
    model = pipeline.fit(parts.train)
    complete = report.complete(model)
    assert complete.encoders[0]["column"] == "smoker" and complete.encoders[0]["categories"] == 3
    assert set(complete.encoders[0]["values"]) == {"never", "former", "current"}
    assert complete.feature_names == ["age", "smoker=" + complete.encoders[0]["values"][0],
                                      "smoker=" + complete.encoders[0]["values"][1],
                                      "smoker=" + complete.encoders[0]["values"][2]]
    odd = spark.createDataFrame([(9001, 60.0, "vaper"), (9002, 61.0, None)], "visit_id long, age double, smoker string")
    rows = model.transform(odd).select("visit_id", "features", "prediction").orderBy("visit_id").collect()
    assert [list(r["features"].toArray()[1:]) for r in rows] == [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    assert all(r["prediction"] in (0.0, 1.0) for r in rows)


def test_index_encoding_keeps_one_slot_per_column(parts) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec(features=["age", "smoker"], prep={"encode": "index"})
    pipeline, report = build_pipeline(spec, parts.train)
    complete = report.complete(pipeline.fit(parts.train))
    assert complete.feature_names == ["age", "smoker"] and complete.encoders[0]["encoding"] == "index"


def test_boolean_features_become_numbers(parts) -> None:  # type: ignore[no-untyped-def]
    pipeline, report = build_pipeline(make_spec(features=["sex", "bp"]), parts.train)
    assert report.boolean == ["sex"]
    complete = report.complete(pipeline.fit(parts.train))
    assert complete.feature_names == ["bp", "sex"]


def test_string_label_is_indexed_and_predictions_come_back_as_strings(parts) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec(label="outcome", exclude=["label", "risk", "cost", "notes", "event_date"], features=["age", "bp"])
    pipeline, report = build_pipeline(spec, parts.train)
    assert report.label is not None and report.label["classes"] == ["no", "yes"]
    assert report.columns["label"] == "label_index" and report.columns["prediction"] == "prediction_index"
    out = pipeline.fit(parts.train).transform(parts.test)
    rows = out.select("outcome", "label_index", "prediction", "prediction_index").collect()
    assert {r["prediction"] for r in rows} <= {"no", "yes"}
    assert all(r["prediction"] == ("yes" if r["prediction_index"] == 1.0 else "no") for r in rows)
    assert all(r["label_index"] == (1.0 if r["outcome"] == "yes" else 0.0) for r in rows)


def test_other_numeric_labels_come_back_as_their_own_values(parts) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    def recode(frame):  # type: ignore[no-untyped-def]
        return frame.withColumn("label", F.col("label") * 5 + 2)

    pipeline, report = build_pipeline(make_spec(features=["age", "bp"]), recode(parts.train))
    assert report.label is not None and report.label["kind"] == "indexed" and report.label["classes"] == [2, 7]
    out = pipeline.fit(recode(parts.train)).transform(recode(parts.test))
    assert dict(out.dtypes)["prediction"] == "double"
    assert {r[0] for r in out.select("prediction").distinct().collect()} <= {2.0, 7.0}


def test_boolean_label_trains_as_zero_one(parts) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    def as_bool(frame):  # type: ignore[no-untyped-def]
        return frame.withColumn("label", F.col("label") == 1)

    pipeline, report = build_pipeline(make_spec(features=["age", "bp"]), as_bool(parts.train))
    assert report.label is not None and report.label["kind"] == "boolean"
    out = pipeline.fit(as_bool(parts.train)).transform(as_bool(parts.test))
    assert {r[0] for r in out.select("prediction").distinct().collect()} <= {0.0, 1.0}


def test_no_imputation_with_missing_values_is_refused(parts) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError) as info:
        build_pipeline(make_spec(features=["age", "bp"], prep={"impute": "none"}), parts.train)
    assert info.value.column == "age" and "logistic_regression cannot take missing values" in str(info.value)


def test_drop_rows_drops_training_rows_but_never_prediction_rows(parts) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    spec = make_spec(features=["age", "bp"], prep={"impute": "drop_rows"})
    pipeline, report = build_pipeline(spec, parts.train)
    assert next(e for e in report.imputed if e["column"] == "age")["prediction_fill"] == "median"
    wrapper = pipeline.getStages()[-1]
    assert wrapper.drop_null_columns == ["age", "bp"]
    seen = _recorded_rows(wrapper, pipeline, parts.train)
    assert seen == parts.train.where(F.col("age").isNotNull()).count()
    model = pipeline.fit(parts.train)
    missing = parts.test.where(F.col("age").isNull())
    assert model.transform(missing).count() == missing.count() > 0


def test_oversampling_balances_train_only(parts) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec(features=["age", "bp"], prep={"balance": "oversample"})
    pipeline, report = build_pipeline(spec, parts.train)
    assert report.balance is not None
    counts = report.balance["class_counts"]
    assert report.balance["expected_counts"] == {"0": max(counts.values()), "1": max(counts.values())}
    wrapper = pipeline.getStages()[-1]
    by_class = _recorded_classes(wrapper, pipeline, parts.train)
    assert by_class[0] == counts["0"] and abs(by_class[1] - counts["0"]) <= 0.15 * counts["0"]
    assert by_class == _recorded_classes(wrapper, pipeline, parts.train.repartition(5))
    model = pipeline.fit(parts.train)
    assert model.transform(parts.test).count() == parts.test.count()
    assert not any(type(s).__name__ == "TrainingFit" for s in model.stages)


def test_undersampling_shrinks_the_majority(parts) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec(features=["age", "bp"], prep={"balance": "undersample"})
    pipeline, report = build_pipeline(spec, parts.train)
    assert report.balance is not None
    minority = min(report.balance["class_counts"].values())
    by_class = _recorded_classes(pipeline.getStages()[-1], pipeline, parts.train)
    assert by_class[1] == minority and abs(by_class[0] - minority) <= 0.25 * minority


def test_class_weights_weigh_the_minority_up(parts) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec(features=["age", "bp"], prep={"balance": "class_weight"})
    pipeline, report = build_pipeline(spec, parts.train)
    assert report.balance is not None
    weights = report.balance["weights"]
    counts = report.balance["class_counts"]
    total = sum(counts.values())
    assert weights == {c: pytest.approx(total / (2 * n), rel=1e-6) for c, n in counts.items()}
    wrapper = pipeline.getStages()[-1]
    assert wrapper.estimator.getWeightCol() == "_lf_weight"
    model = pipeline.fit(parts.train)
    assert model.transform(parts.test).count() == parts.test.count()


def test_report_is_json(parts) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec(prep={"max_missing": 0.5, "scale": "robust", "balance": "oversample"})
    pipeline, report = build_pipeline(spec, parts.train)
    text = json.dumps(report.complete(pipeline.fit(parts.train)).to_dict())
    assert '"scale": "robust"' in text and '"sparse"' in text


def _fit_inputs(wrapper, pipeline, frame):  # type: ignore[no-untyped-def]
    """The DataFrame the wrapped estimator would be fitted on (prep stages fitted on ``frame`` first)."""
    from pyspark.ml import Pipeline

    stages = pipeline.getStages()
    prepared = Pipeline(stages=stages[: stages.index(wrapper)]).fit(frame).transform(frame)
    captured: list[Any] = []

    class Capture:
        def fit(self, df):  # type: ignore[no-untyped-def]
            captured.append(df)
            return None

    original = wrapper.estimator
    wrapper.estimator = Capture()
    try:
        wrapper._fit(prepared)
    finally:
        wrapper.estimator = original
    return captured[0]


def _recorded_rows(wrapper, pipeline, frame) -> int:  # type: ignore[no-untyped-def]
    return int(_fit_inputs(wrapper, pipeline, frame).count())


def _recorded_classes(wrapper, pipeline, frame) -> dict[int, int]:  # type: ignore[no-untyped-def]
    rows = _fit_inputs(wrapper, pipeline, frame).groupBy("label").count().collect()
    return {int(r["label"]): int(r["count"]) for r in rows}
