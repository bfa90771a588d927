"""Batch transform, as SageMaker's: score a whole DataFrame with a fitted Spark pipeline.

SageMaker's three data-processing knobs map to keyword arguments:

* **input filter** — ``input_columns``: the columns the model may read. The pipeline's own
  inputs must all be among them (else :class:`BatchTransformError` names the missing one).
* **join source** — ``join="input"`` keeps every input column next to the prediction (the
  default; SageMaker's ``JoinSource=Input``); ``join="id"`` keeps only ``id_col``.
* **output filter** — ``keep``: the output columns to return, in that order.

Output columns, after the joined input columns:

========================  ================================================================
``prediction``            the pipeline's final prediction, in the label's own values
``probability``           classification only. Binary: the probability (double) of the
                          *positive class* — the second class of the model's class order
                          (class ``1`` for 0/1 labels). Multiclass: ``map<string, double>``
                          from each class label (as a string) to its probability.
``model_name``            the registered model name
``model_version``         the registered version (a string: ``"3"``)
``scored_at``             one UTC timestamp for the whole run
========================  ================================================================

Catalog-free: resolving names, writing the Delta table and lineage happen above this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from lake.ml.errors import BatchTransformError, ExportError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["JOIN_SOURCES", "OUTPUT_COLUMNS", "BatchPlan", "JoinSource", "batch_transform", "plan_batch"]

JoinSource = Literal["input", "id"]
JOIN_SOURCES: tuple[str, ...] = ("input", "id")
OUTPUT_COLUMNS = ("prediction", "probability", "model_name", "model_version", "scored_at")
_CLASSIFICATION = ("binary", "multiclass")
_NO_PROBABILITY = ("regression", "clustering", "topics", "dimensionality")


@dataclass(frozen=True)
class BatchPlan:
    """What the pipeline reads and writes: its input columns, prediction and probability columns, classes."""

    inputs: tuple[str, ...] | None
    prediction_column: str
    probability_column: str | None
    classes: tuple[Any, ...] | None
    task: str | None

    @property
    def probability_kind(self) -> str | None:
        """``binary`` (a double), ``multiclass`` (a map) or ``None`` (no probability column)."""
        if self.probability_column is None or self.task in _NO_PROBABILITY:
            return None
        if self.task == "binary" or (self.task is None and self.classes is not None and len(self.classes) == 2):
            return "binary"
        return "multiclass"


def plan_batch(model: Any, *, task: str | None = None) -> BatchPlan:
    """Read the pipeline's columns; a pipeline the planner does not know uses Spark's default names."""
    from lake.ml.export.stages import plan_pipeline

    if task is not None and task not in (*_CLASSIFICATION, *_NO_PROBABILITY):
        raise BatchTransformError(model="(pipeline)", reason=f"unknown task {task!r}; valid: "
                                  f"{', '.join((*_CLASSIFICATION, *_NO_PROBABILITY))}")
    try:
        plan = plan_pipeline(model)
    except ExportError:
        return BatchPlan(None, "prediction", None, None, task)
    classes = tuple(plan.classes) if plan.classes is not None else None
    return BatchPlan(tuple(plan.inputs), plan.prediction_column, plan.probability_column, classes, task)


def batch_transform(
    model: Any,
    df: DataFrame,
    *,
    model_name: str,
    version: int | str,
    input_columns: Sequence[str] | None = None,
    join: JoinSource = "input",
    id_col: str | None = None,
    keep: Sequence[str] | None = None,
    task: str | None = None,
    scored_at: datetime | None = None,
) -> DataFrame:
    """Score ``df`` with the fitted ``model``; see the module doc for the columns and the three filters."""
    from pyspark.sql import functions as F

    label = f"{model_name}:{version}"
    if join not in JOIN_SOURCES:
        raise BatchTransformError(model=label, reason=f"unknown join source {join!r}; valid: {', '.join(JOIN_SOURCES)}")
    plan = plan_batch(model, task=task)
    columns = list(df.columns)
    if input_columns is not None:
        unknown = [c for c in input_columns if c not in columns]
        if unknown:
            raise BatchTransformError(model=label, reason=f"input columns {unknown} are not in the input; "
                                      f"its columns: {', '.join(columns)}")
    visible = list(input_columns) if input_columns is not None else columns
    if plan.inputs is not None:
        missing = [c for c in plan.inputs if c not in visible]
        if missing:
            where = "the input filter (--input-columns)" if input_columns is not None else "the input"
            raise BatchTransformError(model=label, reason=f"the model reads {missing}, which {where} does not "
                                      f"have; it reads: {', '.join(plan.inputs)}")
    if join == "id":
        if not id_col:
            raise BatchTransformError(model=label, reason="join='id' needs id_col (the record id to keep)")
        if id_col not in columns:
            raise BatchTransformError(model=label, reason=f"id column {id_col!r} is not in the input; "
                                      f"its columns: {', '.join(columns)}")
        joined = [id_col]
    else:
        joined = columns
    probability = plan.probability_kind
    outputs = [c for c in OUTPUT_COLUMNS if c != "probability" or probability is not None]
    clash = [c for c in joined if c in outputs]
    if clash:
        raise BatchTransformError(model=label, reason=f"input columns {clash} clash with the output columns; "
                                  "rename them or join on the id (--join id)")

    stamp = scored_at or datetime.now(UTC)
    scored = model.transform(df.select(*visible, *(c for c in joined if c not in visible)))
    if plan.prediction_column not in scored.columns:
        raise BatchTransformError(model=label, reason=f"the pipeline wrote no {plan.prediction_column!r} column; "
                                  f"it wrote: {', '.join(c for c in scored.columns if c not in columns)}")
    selected: list[Column] = [F.col(f"`{c}`") for c in joined]
    selected.append(F.col(f"`{plan.prediction_column}`").alias("prediction"))
    if probability is not None:
        selected.append(_probability(plan, probability).alias("probability"))
    selected += [
        F.lit(model_name).alias("model_name"),
        F.lit(str(version)).alias("model_version"),
        F.lit(stamp).cast("timestamp").alias("scored_at"),
    ]
    out = scored.select(*selected)
    if keep is None:
        return out
    unknown = [c for c in keep if c not in out.columns]
    if unknown or not keep:
        raise BatchTransformError(model=label, reason=f"output filter (--keep) names {unknown or 'nothing'}; "
                                  f"the output columns are: {', '.join(out.columns)}")
    return out.select(*(f"`{c}`" for c in keep))


def _probability(plan: BatchPlan, kind: str) -> Column:
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    assert plan.probability_column is not None
    values = vector_to_array(F.col(f"`{plan.probability_column}`"))
    if kind == "binary":
        return F.element_at(values, 2).cast("double")
    if plan.classes is None:
        keys = F.transform(values, lambda _, i: i.cast("string"))
    else:
        keys = F.array(*(F.lit(_class_key(c)) for c in plan.classes))
    return F.map_from_arrays(keys, values)


def _class_key(value: Any) -> str:
    """A class label as a map key: ``1.0`` → ``"1"``, strings unchanged."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
