"""Predictions as the results table stores them: ``id, label, prediction, probability`` in the label's values.

One shape for every task, so one table holds every model's predictions: ``id``, ``label`` and
``prediction`` are strings (cast them back in SQL: ``CAST(prediction AS DOUBLE)``), ``probability``
is a double. Binary: the prediction applies the run's decision threshold (``score >= threshold``)
to the positive-class probability (or margin) and ``probability`` is P(positive class);
multiclass and Gaussian mixtures: the probability of the predicted class; topics: the dominant
topic and its weight; regression and other clusterings: no probability.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lake.ml.prep.columns import PREDICTION, PROBABILITY, RAW_PREDICTION, quote

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["PREDICTION_COLUMNS", "prediction_rows"]

PREDICTION_COLUMNS = ("id", "label", "prediction", "probability")
_TOPICS = "topicDistribution"


def prediction_rows(
    predicted: DataFrame,
    task: str,
    *,
    id_col: str | None,
    label_col: str | None,
    classes: Sequence[Any] | None = None,
    threshold: float | None = None,
) -> DataFrame | None:
    """``predicted`` (a model's output) as ``id, label, prediction, probability``; ``None`` for task reduction."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    columns = set(predicted.columns)
    if task == "reduction":
        return None
    ident = F.col(quote(id_col)).cast("string") if id_col else F.lit(None).cast("string")
    label = F.col(quote(label_col)).cast("string") if label_col else F.lit(None).cast("string")
    probability: Column = F.lit(None).cast("double")
    if task == "topics":
        weights = vector_to_array(F.col(_TOPICS))
        prediction: Column = (F.array_position(weights, F.array_max(weights)) - 1).cast("string")
        probability = F.array_max(weights)
    elif task == "binary" and threshold is not None and classes is not None and (
            PROBABILITY in columns or RAW_PREDICTION in columns):
        source = PROBABILITY if PROBABILITY in columns else RAW_PREDICTION
        score = vector_to_array(F.col(source))[1]
        negative, positive = (F.lit(c) for c in classes)
        prediction = F.when(score >= F.lit(float(threshold)), positive).otherwise(negative).cast("string")
        if source == PROBABILITY:
            probability = score
    else:
        prediction = F.col(PREDICTION).cast("string")
        if PROBABILITY in columns and task in ("binary", "multiclass", "clustering"):
            values = vector_to_array(F.col(PROBABILITY))
            probability = values[1] if task == "binary" else F.array_max(values)
    return predicted.select(ident.alias("id"), label.alias("label"), prediction.alias("prediction"),
                            probability.cast("double").alias("probability"))
