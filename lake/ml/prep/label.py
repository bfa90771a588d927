"""The label as the model sees it (class indices 0..C-1) and predictions back in the label's own values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lake.ml.prep.columns import LABEL_INDEX, PREDICTION, PREDICTION_INDEX, internal, quote
from lake.ml.prep.plan import LabelPlan

if TYPE_CHECKING:
    from pyspark.ml import Transformer

__all__ = ["LabelColumns", "label_columns", "label_stages", "restore_stages"]


@dataclass(frozen=True)
class LabelColumns:
    """The numeric label column the model trains on and the numeric prediction column it writes."""

    label: str | None
    prediction: str


def label_columns(label: str | None, plan: LabelPlan | None) -> LabelColumns:
    """Indexed labels train on ``label_index`` and predict ``prediction_index``; others use their own names."""
    if plan is not None and plan.indexed:
        return LabelColumns(LABEL_INDEX, PREDICTION_INDEX)
    return LabelColumns(label, PREDICTION)


def label_stages(plan: LabelPlan | None) -> list[Transformer]:
    """A fitted ``StringIndexerModel`` for an indexed label (skipped by Spark when the label is absent)."""
    from pyspark.ml.feature import StringIndexerModel

    if plan is None or not plan.indexed:
        return []
    return [StringIndexerModel.from_labels(list(plan.keys), inputCol=plan.column, outputCol=LABEL_INDEX,
                                           handleInvalid="error")]


def restore_stages(plan: LabelPlan | None) -> list[Transformer]:
    """``prediction`` in the label's own values: strings stay strings, other numbers come back as doubles."""
    from pyspark.ml.feature import IndexToString, SQLTransformer

    if plan is None or not plan.indexed:
        return []
    if not plan.numeric_values:
        return [IndexToString(inputCol=PREDICTION_INDEX, outputCol=PREDICTION, labels=list(plan.keys))]
    text = internal("prediction", "label")
    return [
        IndexToString(inputCol=PREDICTION_INDEX, outputCol=text, labels=list(plan.keys)),
        SQLTransformer(statement=f"SELECT *, CAST({quote(text)} AS DOUBLE) AS {PREDICTION} FROM __THIS__"),
    ]
