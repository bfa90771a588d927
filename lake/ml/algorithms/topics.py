"""LDA topic model over a text column (tokenised, stop words removed, counted by the prep)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lake.ml.algorithms._base import Algorithm, BuildContext, HyperParam
from lake.ml.algorithms.kinds import Choice, Float, Int

if TYPE_CHECKING:
    from pyspark.ml import Estimator

__all__ = ["ALGORITHMS", "DEFAULT_TOP_WORDS", "LDA", "TOPIC_DISTRIBUTION"]

DEFAULT_TOP_WORDS = 10
TOPIC_DISTRIBUTION = "topicDistribution"


def _lda(ctx: BuildContext) -> Estimator:
    from pyspark.ml.clustering import LDA as SparkLDA

    kwargs = LDA.target_kwargs(ctx)
    if "docConcentration" in kwargs:
        kwargs["docConcentration"] = [float(kwargs["docConcentration"])]
    return SparkLDA(featuresCol=ctx.features_col, topicDistributionCol=TOPIC_DISTRIBUTION, **kwargs)


LDA = Algorithm(
    name="lda",
    summary="latent Dirichlet allocation topic model; the run records each topic's top words",
    tasks=frozenset({"topics"}),
    params=(
        HyperParam("k", "k", Int(2), "number of topics"),
        HyperParam("max_iter", "maxIter", Int(1), "iterations"),
        HyperParam("optimizer", "optimizer", Choice(("online", "em")), "inference algorithm"),
        HyperParam("doc_concentration", "docConcentration", Float(0.0, open_low=True),
                   "symmetric Dirichlet prior on document-topic mixtures (alpha)"),
        HyperParam("topic_concentration", "topicConcentration", Float(0.0, open_low=True),
                   "Dirichlet prior on topic-word distributions (beta)"),
        HyperParam("learning_offset", "learningOffset", Float(0.0, open_low=True), "online: downweights early"),
        HyperParam("learning_decay", "learningDecay", Float(0.5, 1.0, open_low=True), "online: learning rate decay"),
        HyperParam("subsampling_rate", "subsamplingRate", Float(0.0, 1.0, open_low=True), "online: batch fraction"),
        HyperParam("top_words", None, Int(1), f"words recorded per topic (default {DEFAULT_TOP_WORDS})"),
        HyperParam("seed", "seed", Int(), "random seed"),
    ),
    build=_lda,
)

ALGORITHMS = (LDA,)
