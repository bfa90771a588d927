"""Linear models: logistic regression, linear regression (L1/L2/elastic net) and the linear SVM."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lake.ml.algorithms._base import CLASSIFICATION, Algorithm, BuildContext, HyperParam, spark_columns
from lake.ml.algorithms.kinds import Bool, Choice, Float, Int

if TYPE_CHECKING:
    from pyspark.ml import Estimator

__all__ = ["ALGORITHMS"]

_REG = (
    HyperParam("reg_param", "regParam", Float(0.0), "regularisation strength (lambda)"),
    HyperParam("max_iter", "maxIter", Int(1), "maximum optimiser iterations"),
    HyperParam("tol", "tol", Float(0.0), "convergence tolerance"),
    HyperParam("fit_intercept", "fitIntercept", Bool(), "fit an intercept term"),
    HyperParam("standardization", "standardization", Bool(), "standardise features inside the optimiser"),
    HyperParam("aggregation_depth", "aggregationDepth", Int(2), "depth of treeAggregate"),
)
_ELASTIC = HyperParam("elastic_net", "elasticNetParam", Float(0.0, 1.0), "mix of L1 (1.0) and L2 (0.0) penalties")


def _logistic(ctx: BuildContext) -> Estimator:
    from pyspark.ml.classification import LogisticRegression

    family = "binomial" if ctx.task == "binary" else "multinomial"
    return LogisticRegression(family=family, **spark_columns(ctx, probability=True, raw=True),
                              **LOGISTIC.target_kwargs(ctx))


def _linear(ctx: BuildContext) -> Estimator:
    from pyspark.ml.regression import LinearRegression

    return LinearRegression(**spark_columns(ctx), **LINEAR.target_kwargs(ctx))


def _svm(ctx: BuildContext) -> Estimator:
    from pyspark.ml.classification import LinearSVC

    return LinearSVC(**spark_columns(ctx, raw=True), **SVM.target_kwargs(ctx))


LOGISTIC = Algorithm(
    name="logistic_regression",
    summary="logistic regression (binomial or multinomial) with L1/L2/elastic-net regularisation",
    tasks=CLASSIFICATION,
    params=(*_REG, _ELASTIC,
            HyperParam("threshold", "threshold", Float(0.0, 1.0), "decision threshold on P(class 1)",
                       frozenset({"binary"}))),
    build=_logistic,
    weights=True,
    probability=True,
    raw_prediction=True,
)

LINEAR = Algorithm(
    name="linear_regression",
    summary="least-squares (or Huber) linear regression with L1/L2/elastic-net regularisation",
    tasks=frozenset({"regression"}),
    params=(*_REG, _ELASTIC,
            HyperParam("solver", "solver", Choice(("auto", "normal", "l-bfgs")), "optimiser"),
            HyperParam("loss", "loss", Choice(("squaredError", "huber")), "loss function"),
            HyperParam("epsilon", "epsilon", Float(1.0, open_low=True), "Huber loss shape (> 1.0)")),
    build=_linear,
    weights=True,
)

SVM = Algorithm(
    name="linear_svm",
    summary="linear support-vector machine (hinge loss, L2); no probabilities, rawPrediction is the margin",
    tasks=frozenset({"binary"}),
    params=(*_REG, HyperParam("threshold", "threshold", Float(), "decision threshold on the margin")),
    build=_svm,
    weights=True,
    raw_prediction=True,
    notes="MLlib's LinearSVC gives no probability column; rawPrediction holds [-margin, margin].",
)

ALGORITHMS = (LOGISTIC, LINEAR, SVM)
