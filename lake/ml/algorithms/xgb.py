"""XGBoost through ``xgboost.spark`` (pure Python, barrier mode; no JARs)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from lake.ml.algorithms._base import CLASSIFICATION, SUPERVISED, Algorithm, BuildContext, HyperParam
from lake.ml.algorithms.kinds import Float, Int

if TYPE_CHECKING:
    from pyspark.ml import Estimator

__all__ = ["ALGORITHMS", "XGBOOST"]

_UNIT = Float(0.0, 1.0, open_low=True)


def _xgboost(ctx: BuildContext) -> Estimator:
    from xgboost.spark import SparkXGBClassifier, SparkXGBRegressor

    kwargs: dict[str, Any] = XGBOOST.target_kwargs(ctx)
    requested = int(kwargs.pop("num_workers", 1))
    workers = max(1, min(requested, ctx.task_slots))
    if workers < requested:
        ctx.notes.append(f"xgboost: num_workers lowered from {requested} to {workers}, the Spark task slots "
                         "(barrier mode needs one slot per worker)")
    cols: dict[str, Any] = {
        "features_col": ctx.features_col,
        "label_col": ctx.label_col,
        "prediction_col": ctx.prediction_col,
        "num_workers": workers,
        "device": "cpu",
        "missing": math.nan,
        "verbose": False,  # no per-round evaluation lines on the terminal (the metrics are recorded)
    }
    if ctx.weight_col:
        cols["weight_col"] = ctx.weight_col
    if ctx.validation_col:
        cols["validation_indicator_col"] = ctx.validation_col
        cols["early_stopping_rounds"] = ctx.early_stopping_rounds or 10
    if ctx.task in CLASSIFICATION:
        cols.update(probability_col=ctx.probability_col, raw_prediction_col=ctx.raw_prediction_col)
        return SparkXGBClassifier(**cols, **kwargs)
    return SparkXGBRegressor(**cols, **kwargs)


XGBOOST = Algorithm(
    name="xgboost",
    summary="XGBoost gradient boosting (xgboost.spark); missing values handled natively",
    tasks=SUPERVISED,
    params=(
        HyperParam("num_trees", "n_estimators", Int(1), "boosting rounds (number of trees)"),
        HyperParam("n_estimators", "n_estimators", Int(1), "alias of num_trees"),
        HyperParam("max_depth", "max_depth", Int(0), "maximum tree depth (0: no limit)"),
        HyperParam("learning_rate", "learning_rate", _UNIT, "shrinkage (eta)"),
        HyperParam("subsample", "subsample", _UNIT, "row fraction per tree"),
        HyperParam("colsample_bytree", "colsample_bytree", _UNIT, "feature fraction per tree"),
        HyperParam("min_child_weight", "min_child_weight", Float(0.0), "minimum hessian weight in a child"),
        HyperParam("reg_lambda", "reg_lambda", Float(0.0), "L2 penalty on leaf weights"),
        HyperParam("reg_alpha", "reg_alpha", Float(0.0), "L1 penalty on leaf weights"),
        HyperParam("gamma", "gamma", Float(0.0), "minimum loss reduction for a split"),
        HyperParam("max_bin", "max_bin", Int(2), "histogram bins"),
        HyperParam("num_workers", "num_workers", Int(1), "XGBoost workers (Spark tasks); capped at the task slots"),
        HyperParam("seed", "random_state", Int(), "random seed"),
    ),
    build=_xgboost,
    weights=True,
    probability=True,
    raw_prediction=True,
    handles_missing=True,
    early_stopping=True,
)

ALGORITHMS = (XGBOOST,)
