"""Clustering: k-means (k chosen by silhouette when ``k = "auto"``), bisecting k-means, Gaussian mixture."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lake.ml.algorithms._base import Algorithm, BuildContext, HyperParam
from lake.ml.algorithms.kinds import Choice, Float, Int, OneOf, Word

if TYPE_CHECKING:
    from pyspark.ml import Estimator

__all__ = ["ALGORITHMS", "AUTO_K_RANGE", "CLUSTERING_ALGORITHMS"]

AUTO_K_RANGE = (2, 8)
_CLUSTERING = frozenset({"clustering"})
_K = (
    HyperParam("k", "k", OneOf((Int(2), Word("auto"))), 'number of clusters, or "auto" (best silhouette)'),
    HyperParam("k_min", None, Int(2), f'smallest k tried by k = "auto" (default {AUTO_K_RANGE[0]})'),
    HyperParam("k_max", None, Int(2), f'largest k tried by k = "auto" (default {AUTO_K_RANGE[1]})'),
    HyperParam("max_iter", "maxIter", Int(1), "iterations"),
    HyperParam("seed", "seed", Int(), "random seed"),
)
_DISTANCE = HyperParam("distance_measure", "distanceMeasure", Choice(("euclidean", "cosine")), "distance")


def _resolved(ctx: BuildContext, algorithm: Algorithm) -> dict[str, Any]:
    kwargs = algorithm.target_kwargs(ctx)
    if kwargs.get("k") == "auto":
        raise ValueError('k = "auto" must be resolved before the estimator is built')
    return kwargs


def _kmeans(ctx: BuildContext) -> Estimator:
    from pyspark.ml.clustering import KMeans

    return KMeans(featuresCol=ctx.features_col, predictionCol=ctx.prediction_col, **_resolved(ctx, KMEANS))


def _bisecting(ctx: BuildContext) -> Estimator:
    from pyspark.ml.clustering import BisectingKMeans

    return BisectingKMeans(featuresCol=ctx.features_col, predictionCol=ctx.prediction_col,
                           **_resolved(ctx, BISECTING_KMEANS))


def _gmm(ctx: BuildContext) -> Estimator:
    from pyspark.ml.clustering import GaussianMixture

    return GaussianMixture(featuresCol=ctx.features_col, predictionCol=ctx.prediction_col,
                           probabilityCol=ctx.probability_col, **_resolved(ctx, GAUSSIAN_MIXTURE))


KMEANS = Algorithm(
    name="kmeans",
    summary='k-means (k-means|| initialisation); k = "auto" picks k by silhouette',
    tasks=_CLUSTERING,
    params=(*_K, _DISTANCE,
            HyperParam("tol", "tol", Float(0.0), "convergence tolerance"),
            HyperParam("init_mode", "initMode", Choice(("k-means||", "random")), "initialisation"),
            HyperParam("init_steps", "initSteps", Int(1), "k-means|| steps")),
    build=_kmeans,
)

BISECTING_KMEANS = Algorithm(
    name="bisecting_kmeans",
    summary='bisecting (divisive hierarchical) k-means; k = "auto" picks k by silhouette',
    tasks=_CLUSTERING,
    params=(*_K, _DISTANCE,
            HyperParam("min_divisible_cluster_size", "minDivisibleClusterSize", Float(0.0, open_low=True),
                       "minimum points (>= 1) or fraction (< 1) of a divisible cluster")),
    build=_bisecting,
)

GAUSSIAN_MIXTURE = Algorithm(
    name="gaussian_mixture",
    summary='Gaussian mixture model (EM); soft assignments in probability; k = "auto" picks k by silhouette',
    tasks=_CLUSTERING,
    params=(*_K, HyperParam("tol", "tol", Float(0.0), "convergence tolerance")),
    build=_gmm,
    probability=True,
)

ALGORITHMS = (KMEANS, BISECTING_KMEANS, GAUSSIAN_MIXTURE)
CLUSTERING_ALGORITHMS = frozenset(a.name for a in ALGORITHMS)
