"""Naive Bayes (multinomial, complement, Bernoulli or Gaussian)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lake.ml.algorithms._base import CLASSIFICATION, Algorithm, BuildContext, HyperParam, spark_columns
from lake.ml.algorithms.kinds import Choice, Float

if TYPE_CHECKING:
    from pyspark.ml import Estimator

__all__ = ["ALGORITHMS", "NAIVE_BAYES", "NONNEGATIVE_MODEL_TYPES"]

NONNEGATIVE_MODEL_TYPES = frozenset({"multinomial", "complement", "bernoulli"})


def _naive_bayes(ctx: BuildContext) -> Estimator:
    from pyspark.ml.classification import NaiveBayes

    return NaiveBayes(**spark_columns(ctx, probability=True, raw=True), **NAIVE_BAYES.target_kwargs(ctx))


NAIVE_BAYES = Algorithm(
    name="naive_bayes",
    summary="naive Bayes; multinomial/complement need non-negative features, bernoulli needs 0/1 features",
    tasks=CLASSIFICATION,
    params=(
        HyperParam("smoothing", "smoothing", Float(0.0), "additive (Laplace) smoothing"),
        HyperParam("model_type", "modelType", Choice(("multinomial", "complement", "bernoulli", "gaussian")),
                   "event model (default multinomial)"),
    ),
    build=_naive_bayes,
    weights=True,
    probability=True,
    raw_prediction=True,
    notes="With model_type multinomial or complement and prep.scale = \"none\", min-max scaling is applied "
          "automatically (features must be non-negative); standard/robust scaling or PCA is refused.",
)

ALGORITHMS = (NAIVE_BAYES,)
