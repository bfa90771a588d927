"""BigQuery ML's statements in ``lake sql``: CREATE MODEL, DROP MODEL, SHOW MODELS and the ML.* table functions.

``CREATE MODEL`` turns its OPTIONS into a training spec (:data:`MODEL_TYPES` maps BigQuery's
``model_type`` to our algorithms, :data:`OPTION_KEYS` its options to spec keys; anything else is
an error listing the valid ones) and trains it with the training orchestrator over the catalog
(:func:`catalog.ml.train_spec`), so the version is tracked, exported and registered exactly like
``lake train``'s. ``OR REPLACE`` registers a new version of an existing model (earlier versions
stay in the registry); without it an existing model is an error; ``IF NOT EXISTS`` skips.

``ML.PREDICT`` returns the input columns plus ``prediction``, ``probability`` (binary: of the
positive class; multiclass: a map), ``model_name``, ``model_version`` and ``scored_at`` — our
batch transform's columns (:mod:`lake.ml.batch`), not BigQuery's ``predicted_<label>``.
``ML.EVALUATE`` without input returns the version's recorded test metrics; with input it scores
the rows and computes the metrics (label and task from the version's spec or monitoring
baseline). ``ML.CONFUSION_MATRIX`` returns ``expected_label`` and one column per predicted
label; ``ML.ROC_CURVE`` ``threshold, recall, false_positive_rate, true_positives,
false_positives, true_negatives, false_negatives``.

Athena's ``USING EXTERNAL FUNCTION f(…) RETURNS T SAGEMAKER 'endpoint' SELECT f(…) …`` calls the
running ``lake serve`` endpoint of that name (:mod:`catalog.sql.ml_external`).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from catalog.sql.context import ExecutionContext, Outcome, message_result
from catalog.sql.errors import SqlError, UnsupportedSqlError
from catalog.sql.ml_grammar import MODEL_DATABASE, ExternalFunction, MlCall, ModelName
from catalog.sql.results import FrameResult
from catalog.sql.statements import StatementKind

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lake.ml.tracking import ModelRegistry, ModelVersionInfo

__all__ = ["HANDLERS", "MODEL_TYPES", "OPTION_KEYS", "REFUSED_MODEL_TYPES", "resolve_model"]

# BigQuery ML model_type → (our algorithm, "classification" | task)
MODEL_TYPES: dict[str, tuple[str, str]] = {
    "logistic_reg": ("logistic_regression", "classification"),
    "linear_reg": ("linear_regression", "regression"),
    "boosted_tree_classifier": ("xgboost", "classification"),
    "boosted_tree_regressor": ("xgboost", "regression"),
    "random_forest_classifier": ("random_forest", "classification"),
    "random_forest_regressor": ("random_forest", "regression"),
    "dnn_classifier": ("mlp", "classification"),
    "kmeans": ("kmeans", "clustering"),
    "pca": ("pca", "reduction"),
}
REFUSED_MODEL_TYPES: dict[str, str] = {
    "matrix_factorization": "recommendations by matrix factorization (ALS) are not offered",
    "dnn_regressor": "Spark MLlib's neural network (mlp) classifies only",
    "dnn_linear_combined_classifier": "wide-and-deep networks are not offered",
    "dnn_linear_combined_regressor": "wide-and-deep networks are not offered",
    "autoencoder": "autoencoders are not offered",
    "arima_plus": "time-series forecasting is not offered",
    "arima_plus_xreg": "time-series forecasting is not offered",
    "tensorflow": "importing TensorFlow models is not offered",
    "tensorflow_lite": "importing TensorFlow models is not offered",
    "onnx": "importing ONNX models is not offered",
    "xgboost": "importing XGBoost models is not offered (boosted_tree_classifier/regressor train one)",
    "automl_classifier": "AutoML is not offered",
    "automl_regressor": "AutoML is not offered",
}
# BigQuery ML option → our spec key (model.* are hyperparameters of the algorithm)
OPTION_KEYS: dict[str, str] = {
    "model_type": "",
    "input_label_cols": "label",
    "max_iterations": "model.max_iter",
    "learn_rate": "model.learning_rate",
    "max_tree_depth": "model.max_depth",
    "num_parallel_tree": "model.num_trees",
    "subsample": "model.subsample",
    "num_clusters": "model.k",
    "hidden_units": "model.layers",
    "batch_size": "model.batch_size",
    "l1_reg": "model.reg_param",
    "l2_reg": "model.reg_param",
    "data_split_method": "split",
    "data_split_eval_fraction": "split.test",
    "data_split_col": "split.by",
    "auto_class_weights": "prep.balance",
    "id_col": "id",
    "exclude_cols": "exclude",
}
_SPLITS = ("auto_split", "random", "seq", "no_split")


def _registry() -> ModelRegistry:
    from lake.config import load_settings
    from lake.ml.tracking import ModelRegistry, open_tracking

    settings = load_settings()
    return ModelRegistry(open_tracking(settings))


def resolve_model(registry: ModelRegistry, model: ModelName) -> ModelVersionInfo:
    """The version ``model`` names: its version or alias, else ``champion`` if set, else the latest."""
    from lake.ml.tracking import ModelRef

    if model.version is not None:
        return registry.resolve(ModelRef(name=model.name, version=model.version))
    if model.alias is not None:
        return registry.resolve(ModelRef(name=model.name, alias=model.alias))
    info = registry.resolve(model.name)
    champion = [v for v in registry.versions(model.name) if "champion" in v.aliases]
    return champion[0] if champion else info


# -- CREATE / DROP / SHOW ------------------------------------------------------------------------


def create_model(ctx: ExecutionContext) -> Outcome:
    from catalog.ml import TrainingEnv, train_spec
    from catalog.sql.dialect import parse_sql, to_spark_sql
    from lake.ml.spec.parse import parse_spec
    from lake.ml.tracking import open_tracking

    opts = ctx.statement.options
    model: ModelName = opts["model"]
    if model.version is not None or model.alias is not None:
        raise UnsupportedSqlError(f"CREATE MODEL {model}", "name the model only; versions are numbered for you")
    registry = _registry()
    exists = model.name in registry.model_names()
    if exists and opts["if_not_exists"]:
        return Outcome(message=f"model {MODEL_DATABASE}.{model.name} exists; nothing trained")
    if exists and not opts["replace"]:
        raise SqlError(f"model {MODEL_DATABASE}.{model.name} already exists; CREATE OR REPLACE MODEL trains a new "
                       "version of it")
    query_ast = parse_sql(opts["query"], ctx.statement.dialect)
    sql = to_spark_sql(query_ast, ctx.statement.dialect)
    training = ctx.compile(query_ast).df
    spec = parse_spec(spec_from_options(model.name, opts["options"], sql, training))
    from lake.config import load_settings

    env = TrainingEnv(ctx.spark, ctx.store, ctx.profile, open_tracking(load_settings(), ctx.profile), delta=ctx.delta)
    result = train_spec(spec, env)
    metrics = json.dumps(result.metrics.get("test", {}), sort_keys=True)
    return Outcome(
        message_result([("model", "string"), ("version", "bigint"), ("run_id", "string"), ("algorithm", "string"),
                        ("task", "string"), ("test_metrics", "string")],
                       (f"{MODEL_DATABASE}.{result.model}", result.version, result.run_id, result.algorithm,
                        result.task, metrics)),
        message=f"model {MODEL_DATABASE}.{result.model} version {result.version} trained ({result.algorithm})",
    )


def spec_from_options(name: str, options: dict[str, Any], sql: str, training: DataFrame) -> dict[str, Any]:
    """A training spec (as ``lake train`` reads from TOML) for BigQuery ML's ``OPTIONS``."""
    unknown = sorted(set(options) - set(OPTION_KEYS))
    if unknown:
        raise SqlError(f"CREATE MODEL: unknown option(s) {', '.join(unknown)}; valid options: "
                       f"{', '.join(sorted(OPTION_KEYS))}")
    kind = str(options.get("model_type", "")).lower()
    if kind in REFUSED_MODEL_TYPES:
        raise SqlError(f"CREATE MODEL: model_type {kind!r} is not supported: {REFUSED_MODEL_TYPES[kind]}; "
                       f"supported: {', '.join(sorted(MODEL_TYPES))}")
    if kind not in MODEL_TYPES:
        raise SqlError(f"CREATE MODEL: model_type {options.get('model_type')!r} is unknown; supported: "
                       f"{', '.join(sorted(MODEL_TYPES))}")
    algorithm, task = MODEL_TYPES[kind]
    spec: dict[str, Any] = {"name": name, "sql": sql, "model": {"algorithm": algorithm}}
    labels = options.get("input_label_cols")
    if task in ("classification", "regression"):
        labels = [labels] if isinstance(labels, str) else labels
        if not labels or len(labels) != 1:
            raise SqlError(f"CREATE MODEL: model_type {kind!r} needs input_label_cols=['<label column>'] (one)")
        label = str(labels[0])
        if label not in training.columns:
            raise SqlError(f"CREATE MODEL: label column {label!r} is not in the query's columns "
                           f"({', '.join(training.columns)})")
        spec["label"] = label
        if task == "classification":
            classes = training.select(label).where(f"`{label}` IS NOT NULL").distinct().limit(3).count()
            task = "binary" if classes <= 2 else "multiclass"
    elif labels:
        raise SqlError(f"CREATE MODEL: model_type {kind!r} is unsupervised; drop input_label_cols")
    spec["task"] = task
    l1, l2 = float(options.get("l1_reg", 0.0)), float(options.get("l2_reg", 0.0))
    if l1 or l2:
        spec["model"]["reg_param"] = l1 + l2
        spec["model"]["elastic_net"] = l1 / (l1 + l2)
    for option, value in options.items():
        target = OPTION_KEYS[option]
        if target.startswith("model.") and option not in ("l1_reg", "l2_reg"):
            spec["model"][target[len("model."):]] = value
        elif target in ("id", "exclude"):
            spec[target] = value
        elif option == "auto_class_weights" and value:
            spec.setdefault("prep", {})["balance"] = "class_weight"
    method = str(options.get("data_split_method", "auto_split")).lower()
    if method not in _SPLITS:
        raise SqlError(f"CREATE MODEL: data_split_method {method!r} is unknown; valid: {', '.join(_SPLITS)}")
    if method == "no_split":
        raise SqlError("CREATE MODEL: data_split_method 'no_split' is not supported: every version is evaluated "
                       "once on a held-out test split")
    if "data_split_eval_fraction" in options:
        test = float(options["data_split_eval_fraction"])
        spec["split"] = {"train": round(1.0 - test, 10), "validation": 0.0, "test": test}
    if method == "seq":
        if "data_split_col" not in options:
            raise SqlError("CREATE MODEL: data_split_method 'seq' needs data_split_col (the time column)")
        spec.setdefault("split", {})["by"] = options["data_split_col"]
    return spec


def drop_model(ctx: ExecutionContext) -> Outcome:
    opts = ctx.statement.options
    model: ModelName = opts["model"]
    registry = _registry()
    if model.name not in registry.model_names():
        if opts["if_exists"]:
            return Outcome(message=f"model {MODEL_DATABASE}.{model.name} does not exist; nothing dropped")
        registry.resolve(model.name)  # the registry's error lists the models that exist
    versions = len(registry.versions(model.name))
    registry.store.client().delete_registered_model(model.name)
    return Outcome(message_result([("model", "string"), ("versions_dropped", "bigint")],
                                  (f"{MODEL_DATABASE}.{model.name}", versions)),
                   message=f"model {MODEL_DATABASE}.{model.name} dropped ({versions} versions; artifacts stay "
                           "in the lake)")


def show_models(ctx: ExecutionContext) -> Outcome:
    from catalog.sql.results import ColumnInfo, RowsResult

    like = ctx.statement.options.get("like")
    rows = []
    for summary in _registry().list_models():
        if like and not fnmatch.fnmatch(summary.name.lower(), like.lower().replace("%", "*").replace("_", "?")):
            continue
        aliases = ", ".join(f"{a}={v}" for a, v in sorted(summary.aliases.items()))
        rows.append((f"{MODEL_DATABASE}.{summary.name}", summary.latest_version, summary.versions, aliases,
                     summary.latest_approval.value if summary.latest_approval else None, summary.updated_at))
    columns = [("model", "string"), ("latest_version", "bigint"), ("versions", "bigint"), ("aliases", "string"),
               ("approval", "string"), ("updated_at", "string")]
    return Outcome(RowsResult([ColumnInfo(n, t) for n, t in columns], rows))


# -- queries with ML.* table functions -----------------------------------------------------------


def ml_query(ctx: ExecutionContext) -> Outcome:
    from catalog.sql.query import compile_query

    stmt = ctx.statement
    assert stmt.ast is not None
    calls: list[MlCall] = stmt.options["calls"]
    registry = _registry() if calls else None
    _register_external(ctx, stmt.options.get("external") or [])
    overrides = {call.placeholder: _call_frame(ctx, registry, call) for call in calls if registry is not None}
    compiled = compile_query(stmt.ast, ctx.resolver, source=stmt.source, dialect=stmt.dialect,
                             default_database=ctx.database, overrides=overrides)
    return Outcome(FrameResult(compiled.df), spark_sql=compiled.spark_sql)


def _register_external(ctx: ExecutionContext, functions: list[ExternalFunction]) -> None:
    """Athena's ``USING EXTERNAL FUNCTION … SAGEMAKER 'endpoint'``: find the endpoints, register the functions."""
    if not functions:
        return
    from catalog.inference.endpoints import endpoint_url
    from catalog.sql.ml_external import register_external_function
    from lake.config import load_settings

    home = load_settings().home
    for function in functions:
        register_external_function(ctx.spark, function, endpoint_url(home, function.endpoint))


def _input(ctx: ExecutionContext, call: MlCall) -> DataFrame | None:
    from catalog.names import parse_table_name
    from catalog.sql.dialect import parse_sql

    if call.table is not None:
        return ctx.resolver.dataframe(ctx.describe(parse_table_name(call.table, default_database=ctx.database)))
    if call.query is not None:
        return ctx.compile(parse_sql(call.query, ctx.statement.dialect)).df
    return None


def _call_frame(ctx: ExecutionContext, registry: ModelRegistry, call: MlCall) -> DataFrame:
    info = resolve_model(registry, call.model)
    data = _input(ctx, call)
    if call.function == "EVALUATE" and data is None:
        return _recorded_metrics(ctx, registry, info)
    assert data is not None
    from lake.ml.batch import batch_transform

    model = registry.load_spark_model(info.ref)
    scored = batch_transform(model, data, model_name=info.name, version=info.version)
    if call.function == "PREDICT":
        return scored
    label, task = _label_and_task(registry, info)
    if label not in data.columns:
        raise SqlError(f"ML.{call.function}: the input has no label column {label!r} (the label {info.ref} was "
                       "trained on)")
    return _EVALUATORS[call.function](ctx, scored, label, task)


def _label_and_task(registry: ModelRegistry, info: ModelVersionInfo) -> tuple[str, str]:
    """The label column and task of a version: from its recorded spec, else its monitoring baseline."""
    from catalog.inference.monitor import load_baseline

    try:
        from catalog.ml import recorded_spec

        spec = recorded_spec(registry.store, info)
        if spec.label is not None:
            return spec.label, spec.task
    except Exception:  # versions trained outside lake train have no spec.json
        pass
    baseline = load_baseline(registry, info)
    if baseline.label is None or baseline.task is None:
        raise SqlError(f"{info.ref} records no label column or task, so it cannot be evaluated")
    return baseline.label, baseline.task


def _recorded_metrics(ctx: ExecutionContext, registry: ModelRegistry, info: ModelVersionInfo) -> DataFrame:
    details = registry.show(info.ref)
    metrics = details.metrics.get("test") or {}
    if not metrics:
        raise SqlError(f"ML.EVALUATE: {info.ref} has no recorded test metrics; pass the data: TABLE db.t")
    names = sorted(metrics)
    schema = ", ".join(["model string", "model_version string", *(f"`{n}` double" for n in names)])
    return ctx.spark.createDataFrame([(info.name, str(info.version), *(float(metrics[n]) for n in names))], schema)


def _arrays(scored: DataFrame, label: str, task: str) -> dict[str, Any]:
    import numpy as np

    columns = ["prediction", label] + (["probability"] if task == "binary" and "probability" in scored.columns else [])
    rows = scored.select(*(f"`{c}`" for c in columns)).where(f"`{label}` IS NOT NULL").collect()
    if not rows:
        raise SqlError("the input has no labelled rows to evaluate")
    out: dict[str, Any] = {"labels": np.array([float(r[label]) for r in rows]),
                           "predictions": np.array([float(r["prediction"]) for r in rows])}
    if "probability" in columns:
        out["scores"] = np.array([float(r["probability"]) for r in rows])
    return out


def _evaluate(ctx: ExecutionContext, scored: DataFrame, label: str, task: str) -> DataFrame:
    from lake.ml.evaluate import evaluate_arrays

    if task not in ("binary", "multiclass", "regression"):
        raise SqlError(f"ML.EVALUATE with input evaluates classifiers and regressors, not task {task}")
    evaluation = evaluate_arrays(task, **_arrays(scored, label, task))
    names = sorted(k for k, v in evaluation.metrics.items() if isinstance(v, int | float))
    schema = ", ".join(["rows bigint", *(f"`{n}` double" for n in names)])
    return ctx.spark.createDataFrame([(evaluation.rows, *(float(evaluation.metrics[n]) for n in names))], schema)


def _confusion(ctx: ExecutionContext, scored: DataFrame, label: str, task: str) -> DataFrame:
    from pyspark.sql import functions as F

    if task not in ("binary", "multiclass"):
        raise SqlError(f"ML.CONFUSION_MATRIX needs a classifier, not task {task}")
    pairs = scored.where(F.col(f"`{label}`").isNotNull()).select(
        F.col(f"`{label}`").cast("string").alias("expected_label"),
        F.col("prediction").cast("string").alias("predicted"))
    values = sorted({r["expected_label"] for r in pairs.select("expected_label").distinct().collect()}
                    | {r["predicted"] for r in pairs.select("predicted").distinct().collect()})
    return (pairs.groupBy("expected_label").pivot("predicted", values).count().na.fill(0)
            .orderBy("expected_label"))


def _roc(ctx: ExecutionContext, scored: DataFrame, label: str, task: str) -> DataFrame:
    from lake.ml.metrics.binary import threshold_counts

    if task != "binary" or "probability" not in scored.columns:
        raise SqlError(f"ML.ROC_CURVE needs a binary classifier with probabilities, not task {task}")
    arrays = _arrays(scored, label, task)
    counts = threshold_counts(arrays["labels"], arrays["scores"])
    positives, negatives = counts.positives, counts.negatives
    rows = []
    for t, fp, tp in zip(counts.thresholds.tolist(), counts.fps.tolist(), counts.tps.tolist(), strict=True):
        recall = tp / positives if positives else float("nan")
        fpr = fp / negatives if negatives else float("nan")
        rows.append((float(t), float(recall), float(fpr), int(tp), int(fp), int(negatives - fp), int(positives - tp)))
    schema = ("threshold double, recall double, false_positive_rate double, true_positives bigint, "
              "false_positives bigint, true_negatives bigint, false_negatives bigint")
    return ctx.spark.createDataFrame(rows, schema)


_EVALUATORS: dict[str, Callable[[ExecutionContext, DataFrame, str, str], DataFrame]] = {
    "EVALUATE": _evaluate,
    "CONFUSION_MATRIX": _confusion,
    "ROC_CURVE": _roc,
}

HANDLERS: dict[StatementKind, Callable[[ExecutionContext], Outcome]] = {
    StatementKind.CREATE_MODEL: create_model,
    StatementKind.DROP_MODEL: drop_model,
    StatementKind.SHOW_MODELS: show_models,
    StatementKind.ML_QUERY: ml_query,
}
