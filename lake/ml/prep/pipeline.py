"""``build_pipeline``: label stages + feature prep + the model (+ training-only steps) + label restore.

One unfitted Spark ``Pipeline``; fitting it gives the one ``PipelineModel`` that is saved and
served, so prediction applies exactly the steps training did. Decisions that need data
(columns over ``max_missing``, low correlation, PCA k from a variance fraction, k of
``k = "auto"``, class balance) are taken here on the training split only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lake.ml.algorithms import CLASSIFICATION, Algorithm, BuildContext, get_algorithm
from lake.ml.algorithms.clustering import AUTO_K_RANGE, CLUSTERING_ALGORITHMS
from lake.ml.algorithms.decomposition import DEFAULT_VARIANCE
from lake.ml.algorithms.trees import TREE_ALGORITHMS
from lake.ml.errors import SpecError
from lake.ml.prep.columns import (
    FEATURES,
    PREDICTION,
    PROBABILITY,
    RAW_PREDICTION,
    VALIDATION_INDICATOR,
    WEIGHT,
    quote,
)
from lake.ml.prep.label import label_columns, label_stages, restore_stages
from lake.ml.prep.plan import PrepPlan, plan_prep
from lake.ml.prep.report import PrepReport
from lake.ml.prep.stages import PrepStages, build_prep
from lake.ml.prep.training import TrainingFit, plan_balance
from lake.ml.spec import TrainSpec

if TYPE_CHECKING:
    from pyspark.ml import Estimator, Pipeline
    from pyspark.ml._typing import PipelineStage
    from pyspark.sql import DataFrame

__all__ = ["build_pipeline", "resolve_params", "with_validation_indicator"]


def resolve_params(spec: TrainSpec, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The spec's model params overridden by ``params`` (user names), checked."""
    algorithm = get_algorithm(spec.model.algorithm)
    merged = {**spec.model.params, **(params or {})}
    checked = algorithm.check_params(merged, spec.task, prefix="model" if not params else "params")
    if spec.model.algorithm == "pca" and params and "k" in params:
        checked.pop("variance", None)
    return checked


def with_validation_indicator(train: DataFrame, validation: DataFrame) -> DataFrame:
    """``train`` plus ``validation`` with the boolean early-stopping indicator column (True on validation rows)."""
    from pyspark.sql import functions as F

    return (train.withColumn(VALIDATION_INDICATOR, F.lit(False))
            .unionByName(validation.withColumn(VALIDATION_INDICATOR, F.lit(True))))


def build_pipeline(
    spec: TrainSpec,
    train_df: DataFrame,
    params: Mapping[str, Any] | None = None,
    *,
    plan: PrepPlan | None = None,
    early_stopping: bool | None = None,
) -> tuple[Pipeline, PrepReport]:
    """The unfitted prep + model ``Pipeline`` for ``spec`` and its :class:`PrepReport`.

    ``params`` override the spec's model hyperparameters (the tuner passes one point per
    trial). ``plan`` reuses :func:`~lake.ml.prep.plan.plan_prep` of the same ``train_df``
    (saves its aggregate passes across trials). With early stopping (default: when
    ``tune.early_stopping`` is set and the algorithm has it), data given to ``fit`` with the
    indicator column of :func:`with_validation_indicator` stops on its validation rows; data
    without it trains on every row without early stopping.
    """
    from pyspark.ml import Pipeline

    algorithm = get_algorithm(spec.model.algorithm)
    checked = resolve_params(spec, params)
    plan = plan or plan_prep(spec, train_df)
    columns = label_columns(spec.label, plan.label)
    context = BuildContext(
        task=spec.task,
        params=checked,
        features_col=FEATURES,
        label_col=columns.label if spec.is_supervised else None,
        prediction_col=columns.prediction,
        probability_col=PROBABILITY,
        raw_prediction_col=RAW_PREDICTION,
        num_classes=len(plan.label.classes) if plan.label else None,
        seed=spec.split.seed,
        task_slots=max(1, int(train_df.sparkSession.sparkContext.defaultParallelism)),
    )
    stopping = (spec.tune.early_stopping is not None) if early_stopping is None else early_stopping
    if stopping and algorithm.early_stopping:
        context.validation_col = VALIDATION_INDICATOR
        context.early_stopping_rounds = spec.tune.early_stopping
    balance = plan_balance(spec.prep.balance, plan.label.counts) if plan.label else None
    if balance is not None and balance.strategy == "class_weight":
        context.weight_col = WEIGHT

    head: list[PipelineStage] = list(label_stages(plan.label))
    prep = build_prep(spec, plan, algorithm, include_pca=not isinstance(spec.prep.pca, float))
    report = _report(spec, algorithm, plan, prep, checked, columns.label, columns.prediction)
    if isinstance(spec.prep.pca, float):
        prep = _resolve_pca(spec, plan, algorithm, train_df, head, report)
    _adjust_max_bins(spec, plan, algorithm, context, report)
    if spec.model.algorithm == "pca":
        _resolve_model_pca(spec, train_df, [*head, *prep.stages], context, report)
    if spec.model.algorithm in CLUSTERING_ALGORITHMS and _auto_k(checked):
        _resolve_auto_k(spec, algorithm, train_df, [*head, *prep.stages], context, report)

    estimator: Estimator[Any] = algorithm.build(context)
    report.notes += context.notes
    report.params = dict(context.params)
    wrap = bool(prep.drop_rows or balance or (plan.label and plan.label.kind == "boolean")
                or spec.model.algorithm == "mlp" or context.validation_col)
    if wrap:
        estimator = TrainingFit(
            estimator,
            label_col=columns.label,
            drop_null_columns=prep.drop_rows,
            cast_label=bool(plan.label and plan.label.kind == "boolean"),
            balance=balance,
            weight_col=context.weight_col,
            hash_columns=[spec.id] if spec.id else [*plan.candidates, *([spec.label] if spec.label else [])],
            seed=spec.split.seed,
            validation_col=context.validation_col,
            features_col=FEATURES,
            size_input_layer=spec.model.algorithm == "mlp",
        )
    if balance is not None:
        report.balance = balance.to_dict()
    stages: list[PipelineStage] = [*head, *prep.stages, estimator, *restore_stages(plan.label)]
    return Pipeline(stages=stages), report


def _report(spec: TrainSpec, algorithm: Algorithm, plan: PrepPlan, prep: PrepStages, params: Mapping[str, Any],
            label_col: str | None, prediction_col: str) -> PrepReport:
    report = PrepReport(
        task=spec.task,
        algorithm=algorithm.name,
        training_rows=plan.rows,
        features_in=list(plan.candidates),
        numeric=list(plan.numeric),
        boolean=list(plan.boolean),
        categorical=list(plan.categorical),
        vectors=list(plan.vectors),
        dropped=[{"column": d.column, "reason": d.reason} for d in plan.dropped],
        imputed=prep.imputed,
        encoders=prep.encoders,
        scale=prep.scale,
        notes=list(prep.notes),
        params=dict(params),
    )
    if spec.prep.drop_low_variance is not None:
        report.low_variance = {"threshold": spec.prep.drop_low_variance}
    if spec.prep.drop_low_correlation is not None:
        report.correlation = {"threshold": spec.prep.drop_low_correlation,
                              "values": {c: v for c, v in plan.correlations.items()}}
    if spec.prep.pca is not None:
        report.pca = {"requested": spec.prep.pca}
    if plan.label is not None:
        report.label = {"column": plan.label.column, "kind": plan.label.kind, "classes": list(plan.label.classes),
                        "counts": list(plan.label.counts)}
    report.columns = {
        "features": FEATURES,
        "label": label_col,
        "prediction": prediction_col,
        "probability": PROBABILITY if algorithm.probability else None,
        "raw_prediction": RAW_PREDICTION if algorithm.raw_prediction else None,
        "id": spec.id,
    }
    if spec.task not in CLASSIFICATION:
        report.columns["probability"] = PROBABILITY if spec.model.algorithm == "gaussian_mixture" else None
        report.columns["raw_prediction"] = None
    if spec.task == "topics":
        report.columns.update(prediction=None, topic_distribution="topicDistribution")
    if spec.task == "reduction":
        report.columns.update(prediction=None, projection="projection")
    return report


def _prepared(train_df: DataFrame, stages: list[PipelineStage], columns: list[str]) -> DataFrame:
    """``train_df`` through the fitted ``stages``, keeping ``columns``, cached (caller unpersists)."""
    from pyspark.ml import Pipeline

    fitted = Pipeline(stages=stages).fit(train_df)
    return fitted.transform(train_df).select(*[quote(c) for c in columns]).cache()


def _resolve_pca(spec: TrainSpec, plan: PrepPlan, algorithm: Algorithm, train_df: DataFrame,
                 head: list[PipelineStage], report: PrepReport) -> PrepStages:
    """Fit the prep without PCA on train, then take the smallest k reaching the variance fraction."""
    fraction = float(spec.prep.pca)  # type: ignore[arg-type]
    before = build_prep(spec, plan, algorithm, include_pca=False)
    data = _prepared(train_df, [*head, *before.stages], [FEATURES])
    try:
        k, variance = _k_for_variance(data, fraction)
    finally:
        data.unpersist()
    report.pca = {"requested": fraction, "k": k, "explained_variance_all": variance}
    report.notes.append(f"pca: k = {k} components explain {sum(variance[:k]):.4f} of the variance "
                        f"(asked {fraction:g}), chosen on the training split")
    return build_prep(spec, plan, algorithm, pca_k=k)


def _k_for_variance(data: DataFrame, fraction: float) -> tuple[int, list[float]]:
    from pyspark.ml.feature import PCA

    first = data.head()
    if first is None:
        raise SpecError(key="prep.pca", reason="the training split has no rows to fit PCA on")
    size = int(first[0].size)
    model = PCA(k=size, inputCol=FEATURES, outputCol="_lf_pca_all").fit(data)
    variance = [float(v) for v in model.explainedVariance.toArray()]
    total, k = 0.0, size
    for i, v in enumerate(variance):
        total += v
        if total >= fraction - 1e-12:
            k = i + 1
            break
    return k, variance


def _resolve_model_pca(spec: TrainSpec, train_df: DataFrame, stages: list[PipelineStage], context: BuildContext,
                       report: PrepReport) -> None:
    if "k" in context.params:
        return
    fraction = float(context.params.get("variance", DEFAULT_VARIANCE))
    data = _prepared(train_df, stages, [FEATURES])
    try:
        k, variance = _k_for_variance(data, fraction)
    finally:
        data.unpersist()
    context.params = {**{n: v for n, v in context.params.items() if n != "variance"}, "k": k}
    report.model["variance_requested"] = fraction
    report.notes.append(f"pca model: k = {k} components explain {sum(variance[:k]):.4f} of the variance "
                        f"(asked {fraction:g})")


def _auto_k(params: Mapping[str, Any]) -> bool:
    return params.get("k") == "auto" or ("k" not in params and ("k_min" in params or "k_max" in params))


def _resolve_auto_k(spec: TrainSpec, algorithm: Algorithm, train_df: DataFrame, stages: list[PipelineStage],
                    context: BuildContext, report: PrepReport) -> None:
    """Fit the algorithm for each k in [k_min, k_max] on the prepared training split; keep the best silhouette."""
    from pyspark.ml.evaluation import ClusteringEvaluator

    low = int(context.params.get("k_min", AUTO_K_RANGE[0]))
    high = int(context.params.get("k_max", max(AUTO_K_RANGE[1], low)))
    data = _prepared(train_df, stages, [FEATURES])
    distance = "cosine" if context.params.get("distance_measure") == "cosine" else "squaredEuclidean"
    evaluator = ClusteringEvaluator(featuresCol=FEATURES, predictionCol=PREDICTION, distanceMeasure=distance)
    scores: dict[int, float] = {}
    try:
        rows = data.count()
        for k in range(low, min(high, max(rows - 1, low)) + 1):
            trial = BuildContext(**{**context.__dict__, "params": {**_without_auto(context.params), "k": k},
                                    "notes": []})
            predictions = algorithm.build(trial).fit(data).transform(data)
            if predictions.select(PREDICTION).distinct().count() < 2:
                scores[k] = float("nan")
                continue
            scores[k] = float(evaluator.evaluate(predictions))
    finally:
        data.unpersist()
    finite = {k: s for k, s in scores.items() if s == s}
    if not finite:
        raise SpecError(key="model.k", reason=f"k = \"auto\" found no k in [{low}, {high}] giving two or more "
                        "clusters on the training split; set k explicitly")
    best = max(finite, key=lambda k: (finite[k], -k))
    context.params = {**_without_auto(context.params), "k": best}
    report.model["k_auto"] = {"range": [low, high], "silhouette": {str(k): v for k, v in scores.items()},
                              "chosen": best, "metric": f"silhouette ({distance})"}


def _without_auto(params: Mapping[str, Any]) -> dict[str, Any]:
    return {n: v for n, v in params.items() if n not in ("k", "k_min", "k_max")}


def _adjust_max_bins(spec: TrainSpec, plan: PrepPlan, algorithm: Algorithm, context: BuildContext,
                     report: PrepReport) -> None:
    """Index-encoded categoricals need maxBins above their category count; raise it (noted) if needed."""
    if spec.prep.encode != "index" or algorithm.name not in TREE_ALGORITHMS or not plan.categorical:
        return
    needed = max(plan.categories.get(c, 0) for c in plan.categorical)
    needed = int(needed * 1.05) + 2  # approximate distinct count, plus the unknown category
    current = int(context.params.get("max_bins", 32))
    if needed > current:
        context.params = {**context.params, "max_bins": needed}
        report.notes.append(f"max_bins raised from {current} to {needed} to cover the categories of the "
                            "index-encoded columns")
