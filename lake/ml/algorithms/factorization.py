"""Factorization machines (binary classification or regression)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lake.ml.algorithms._base import CLASSIFICATION, Algorithm, BuildContext, HyperParam, spark_columns
from lake.ml.algorithms.kinds import Bool, Choice, Float, Int

if TYPE_CHECKING:
    from pyspark.ml import Estimator

__all__ = ["ALGORITHMS", "FM"]


def _fm(ctx: BuildContext) -> Estimator:
    from pyspark.ml.classification import FMClassifier
    from pyspark.ml.regression import FMRegressor

    kwargs = FM.target_kwargs(ctx)
    if ctx.task in CLASSIFICATION:
        return FMClassifier(**spark_columns(ctx, probability=True, raw=True, weight=False), **kwargs)
    return FMRegressor(**spark_columns(ctx, weight=False), **kwargs)


FM = Algorithm(
    name="fm",
    summary="factorization machine (pairwise interactions through latent factors)",
    tasks=frozenset({"binary", "regression"}),
    params=(
        HyperParam("factor_size", "factorSize", Int(1), "latent factor dimension"),
        HyperParam("reg_param", "regParam", Float(0.0), "L2 regularisation"),
        HyperParam("step_size", "stepSize", Float(0.0, open_low=True), "learning rate"),
        HyperParam("learning_rate", "stepSize", Float(0.0, open_low=True), "alias of step_size"),
        HyperParam("max_iter", "maxIter", Int(1), "iterations"),
        HyperParam("fit_intercept", "fitIntercept", Bool(), "fit a global bias"),
        HyperParam("fit_linear", "fitLinear", Bool(), "fit the linear (1-way) term"),
        HyperParam("init_std", "initStd", Float(0.0, open_low=True), "std of the initial factors"),
        HyperParam("mini_batch_fraction", "miniBatchFraction", Float(0.0, 1.0, open_low=True), "batch fraction"),
        HyperParam("solver", "solver", Choice(("adamW", "gd")), "optimiser"),
        HyperParam("tol", "tol", Float(0.0), "convergence tolerance"),
        HyperParam("seed", "seed", Int(), "random seed"),
    ),
    build=_fm,
    probability=True,
    raw_prediction=True,
    notes="MLlib's FMClassifier is binary only.",
)

ALGORITHMS = (FM,)
