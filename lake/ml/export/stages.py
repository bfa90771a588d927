"""Which stages of a fitted pipeline serve a prediction, which columns they read, and what comes out.

:func:`plan_pipeline` flattens nested ``PipelineModel`` s, finds the predictor (the last stage
with a ``predictionCol``), follows its prediction through label-mapping stages
(``IndexToString``, a ``SQLTransformer`` cast) to the final ``prediction`` column, and keeps
only the stages those outputs depend on. Training-only stages — the label's ``StringIndexer``,
whose output only the estimator read while fitting — drop out, exactly as Spark skips them when
the label column is absent. The raw input columns left over are what a request must carry.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lake.ml.errors import ExportError
from lake.ml.export.sql import SqlProjection, parse_projection

if TYPE_CHECKING:
    from pyspark.ml import Transformer

__all__ = ["PipelinePlan", "StageIO", "flatten_stages", "null_tolerant", "plan_pipeline", "stage_io",
           "strict_categories"]

_INPUT_PARAMS = ("featuresCol", "features_col")
_OUTPUT_PARAMS = ("predictionCol", "probabilityCol", "rawPredictionCol", "varianceCol", "topicDistributionCol",
                  "neighborsCol", "prediction_col", "probability_col", "raw_prediction_col")
_PREDICTION_PARAMS = ("predictionCol", "prediction_col")
_PROBABILITY_PARAMS = ("probabilityCol", "probability_col")


@dataclass(frozen=True)
class StageIO:
    """The columns a stage reads and the columns it adds."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class PipelinePlan:
    """The stages a served prediction needs, their columns, the raw inputs and the final outputs."""

    stages: tuple[Transformer, ...]
    io: tuple[StageIO, ...]
    inputs: tuple[str, ...]
    prediction_column: str
    probability_column: str | None
    predictor: Transformer | None
    classes: tuple[Any, ...] | None
    prediction_type: str

    def producer(self, column: str) -> Transformer | None:
        """The stage that adds ``column`` (None for a raw input)."""
        for stage, io in zip(self.stages, self.io, strict=True):
            if column in io.outputs:
                return stage
        return None


def flatten_stages(model: Any) -> list[Transformer]:
    """The stages of ``model`` in order, nested ``PipelineModel`` s expanded (a bare model is one stage)."""
    from pyspark.ml import PipelineModel

    if isinstance(model, PipelineModel):
        return [s for stage in model.stages for s in flatten_stages(stage)]
    return [model]


def _param(stage: Any, name: str) -> Any:
    if not stage.hasParam(name):
        return None
    param = stage.getParam(name)
    if not stage.isDefined(param):
        return None
    return stage.getOrDefault(param)


def _single_or_multi(stage: Any, single: str, multi: str) -> list[str]:
    """``multi`` (e.g. ``inputCols``) when set, else ``single`` (which may have a default)."""
    if stage.hasParam(multi) and stage.isSet(stage.getParam(multi)):
        return [str(v) for v in stage.getOrDefault(stage.getParam(multi))]
    value = _param(stage, single)
    return [str(value)] if value else []


def _columns(stage: Any, names: Sequence[str]) -> list[str]:
    found: list[str] = []
    for name in names:
        value = _param(stage, name)
        if isinstance(value, str) and value:
            found.append(value)
        elif isinstance(value, list | tuple):
            found.extend(str(v) for v in value if v)
    return found


def sql_projection(stage: Any) -> SqlProjection:
    """The parsed statement of a ``SQLTransformer``."""
    return parse_projection(stage.getStatement())


def stage_io(stage: Any) -> StageIO:
    """The columns ``stage`` reads and adds, from its column params (a SQLTransformer's from its statement)."""
    if type(stage).__name__ == "SQLTransformer":
        projection = sql_projection(stage)
        return StageIO(tuple(projection.inputs), tuple(projection.outputs))
    inputs = _single_or_multi(stage, "inputCol", "inputCols") + _columns(stage, _INPUT_PARAMS)
    outputs = _single_or_multi(stage, "outputCol", "outputCols") + _columns(stage, _OUTPUT_PARAMS)
    if not inputs and not outputs:
        raise ExportError(stage=type(stage).__name__, reason="it has no input/output column params, so the "
                          "columns it reads cannot be traced")
    return StageIO(tuple(inputs), tuple(outputs))


def _is_predictor(stage: Any) -> bool:
    return any(_param(stage, p) for p in _PREDICTION_PARAMS)


def plan_pipeline(model: Any) -> PipelinePlan:
    """Plan the prediction of a fitted pipeline (see the module doc)."""
    stages = flatten_stages(model)
    if not stages:
        raise ExportError(stage="PipelineModel", reason="the pipeline has no stages")
    ios = [stage_io(s) for s in stages]
    predictor_index = max((i for i, s in enumerate(stages) if _is_predictor(s)), default=None)

    classes: tuple[Any, ...] | None = None
    probability: str | None = None
    predictor = None
    if predictor_index is None:
        last = stages[-1]
        if not ios[-1].outputs:
            raise ExportError(stage=type(last).__name__, reason="the last stage adds no column to serve")
        prediction, prediction_type = ios[-1].outputs[0], "vector"
    else:
        predictor = stages[predictor_index]
        prediction = next(str(_param(predictor, p)) for p in _PREDICTION_PARAMS if _param(predictor, p))
        probability = next((str(_param(predictor, p)) for p in _PROBABILITY_PARAMS if _param(predictor, p)), None)
        prediction_type = "long" if type(predictor).__name__ in ("KMeansModel", "BisectingKMeansModel",
                                                                  "GaussianMixtureModel") else "double"
        classes = _predictor_classes(predictor)
        prediction, prediction_type, classes = _follow_prediction(stages, ios, predictor_index, prediction,
                                                                  prediction_type, classes)
    wanted = {prediction} | ({probability} if probability else set())
    keep = _backward_slice(ios, wanted)
    kept = [i for i in range(len(stages)) if i in keep]
    produced: set[str] = set()
    inputs: list[str] = []
    for i in kept:
        for column in ios[i].inputs:
            if column not in produced and column not in inputs:
                inputs.append(column)
        produced.update(ios[i].outputs)
    return PipelinePlan(
        stages=tuple(stages[i] for i in kept),
        io=tuple(ios[i] for i in kept),
        inputs=tuple(inputs),
        prediction_column=prediction,
        probability_column=probability,
        predictor=predictor,
        classes=classes,
        prediction_type=prediction_type,
    )


def _predictor_classes(predictor: Any) -> tuple[Any, ...] | None:
    if type(predictor).__name__ == "SparkXGBClassifierModel":
        from lake.ml.export.converters.xgb import xgb_classes

        return tuple(float(c) for c in range(xgb_classes(predictor)))
    classes = getattr(predictor, "numClasses", None)
    if isinstance(classes, int) and classes > 0 and _param(predictor, "probabilityCol") is not None:
        return tuple(float(c) for c in range(classes))
    if isinstance(classes, int) and classes > 0 and type(predictor).__name__ == "LinearSVCModel":
        return tuple(float(c) for c in range(classes))
    return None


def _follow_prediction(stages: list[Any], ios: list[StageIO], start: int, column: str, kind: str,
                       classes: tuple[Any, ...] | None) -> tuple[str, str, tuple[Any, ...] | None]:
    """Follow ``column`` through the stages after the predictor that map it (label restore)."""
    for stage, io in zip(stages[start + 1:], ios[start + 1:], strict=True):
        if column not in io.inputs:
            continue
        name = type(stage).__name__
        if name == "IndexToString":
            labels = tuple(str(v) for v in (_param(stage, "labels") or []))
            if not labels:
                raise ExportError(stage=name, reason="it has no labels param (labels from column metadata "
                                  "cannot be exported)")
            column, kind, classes = str(_param(stage, "outputCol")), "string", labels
        elif name == "SQLTransformer":
            projection = sql_projection(stage)
            readers = projection.reads(column)
            if len(readers) != 1:
                continue
            column = readers[0]
            if kind == "string" and _is_cast_to_number(dict(projection.items)[column]):
                kind = "double"
                classes = tuple(_to_float(c) for c in classes) if classes else classes
        else:
            column = io.outputs[0]
    return column, kind, classes


def _is_cast_to_number(expression: Any) -> bool:
    from sqlglot import exp

    return isinstance(expression, exp.Cast) and expression.to.is_type("double", "float")


def _to_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _backward_slice(ios: list[StageIO], wanted: set[str]) -> set[int]:
    needed = set(wanted)
    keep: set[int] = set()
    for i in range(len(ios) - 1, -1, -1):
        if needed & set(ios[i].outputs):
            keep.add(i)
            needed.update(ios[i].inputs)
    return keep


def _consumers(plan: PipelinePlan, column: str, after: int) -> list[tuple[int, Any, StageIO]]:
    return [(i, s, io) for i, (s, io) in enumerate(zip(plan.stages, plan.io, strict=True))
            if i > after and column in io.inputs]


def null_tolerant(plan: PipelinePlan, column: str, after: int = -1) -> bool:
    """True when a null in ``column`` reaches the model as Spark would accept it (imputed, kept, coalesced)."""
    from sqlglot import exp

    for i, stage, _ in _consumers(plan, column, after):
        name = type(stage).__name__
        if name in ("StringIndexerModel", "VectorAssembler") and _param(stage, "handleInvalid") != "keep":
            return False
        if name == "SQLTransformer":
            projection = sql_projection(stage)
            for output in projection.reads(column):
                expression = dict(projection.items)[output]
                absorbs = isinstance(expression, exp.Coalesce | exp.Greatest | exp.Least) and any(
                    isinstance(a, exp.Literal) or (isinstance(a, exp.Cast) and isinstance(a.this, exp.Literal))
                    for a in [expression.this, *expression.expressions])
                if not absorbs and not null_tolerant(plan, output, i):
                    return False
    return True


def strict_categories(plan: PipelinePlan, column: str) -> tuple[str, ...] | None:
    """The accepted values of a raw string column read by an indexer that refuses unseen values."""
    for _, stage, _ in _consumers(plan, column, -1):
        if type(stage).__name__ != "StringIndexerModel" or _param(stage, "handleInvalid") == "keep":
            continue
        inputs = _single_or_multi(stage, "inputCol", "inputCols")
        labels = stage.labelsArray[inputs.index(column)]
        return tuple(str(v) for v in labels)
    return None
