"""PCA as an unsupervised model (task ``reduction``): projects the prepared features on k components."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lake.ml.algorithms._base import Algorithm, BuildContext, HyperParam
from lake.ml.algorithms.kinds import Float, Int

if TYPE_CHECKING:
    from pyspark.ml import Estimator

__all__ = ["ALGORITHMS", "DEFAULT_VARIANCE", "PCA", "PROJECTION"]

DEFAULT_VARIANCE = 0.95
PROJECTION = "projection"


def _pca(ctx: BuildContext) -> Estimator:
    from pyspark.ml.feature import PCA as SparkPCA

    if "k" not in ctx.params:
        raise ValueError("pca: k must be resolved (from variance) before the estimator is built")
    return SparkPCA(k=int(ctx.params["k"]), inputCol=ctx.features_col, outputCol=PROJECTION)


PCA = Algorithm(
    name="pca",
    summary="principal component analysis as a model; output column projection",
    tasks=frozenset({"reduction"}),
    params=(
        HyperParam("k", "k", Int(1), "number of components"),
        HyperParam("variance", None, Float(0.0, 1.0, open_low=True),
                   f"smallest k whose components explain this variance fraction (default {DEFAULT_VARIANCE})"),
    ),
    build=_pca,
)

ALGORITHMS = (PCA,)
