"""Feature stages as Spark computes them: indexers, one-hot, imputer, assembler, scalers, PCA, selectors.

Each replaces (or adds) an onnxmltools converter; the library's versions differ from Spark on
``dropLast``, unseen categories, constant features (zero std/range), scalers fed by an
assembled vector, mixed scalar/vector assembly, and they compute in float32.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from onnx import TensorProto

from lake.ml.errors import ExportError
from lake.ml.export.converters._graph import Graph, double_shape, width

__all__ = [
    "convert_assembler",
    "convert_imputer",
    "convert_index_to_string",
    "convert_max_abs_scaler",
    "convert_min_max_scaler",
    "convert_one_hot_encoder",
    "convert_pca",
    "convert_robust_scaler",
    "convert_selector",
    "convert_standard_scaler",
    "convert_string_indexer",
    "shape_assembler",
    "shape_index_to_string",
    "shape_one_hot_encoder",
    "shape_pca",
    "shape_same",
    "shape_selector",
    "shape_string_indexer",
]


def _is_string(variable: Any) -> bool:
    from onnxmltools.convert.common.data_types import StringTensorType

    return isinstance(variable.type, StringTensorType)


def _stage(operator: Any) -> str:
    return type(operator.raw_operator).__name__


def shape_same(operator: Any) -> None:
    """Outputs shaped like the inputs, as doubles."""
    double_shape(operator, [width(v) for v in operator.inputs])


# -- StringIndexer ---------------------------------------------------------------------------


def convert_string_indexer(scope: Any, operator: Any, container: Any) -> None:
    """Label → index (double); unseen and null (the null sentinel) → ``len(labels)`` under ``keep``."""
    g = Graph(scope, container)
    stage = operator.raw_operator
    keep = stage.getHandleInvalid() == "keep"
    for variable, output, labels in zip(operator.inputs, operator.outputs, stage.labelsArray, strict=True):
        if not _is_string(variable):
            raise ExportError(stage=_stage(operator), reason=f"input {variable.raw_name!r} is not a string column; "
                              "indexing numbers (Spark casts them to text) is not exportable")
        index = g.op("LabelEncoder", [variable.full_name], domain="ai.onnx.ml", keys_strings=list(labels),
                     values_int64s=list(range(len(labels))), default_int64=len(labels) if keep else -1)
        g.op("Cast", [index], output.full_name, to=TensorProto.DOUBLE)


def shape_string_indexer(operator: Any) -> None:
    double_shape(operator, [1] * len(operator.outputs))


# -- OneHotEncoder ---------------------------------------------------------------------------


def _one_hot_sizes(stage: Any) -> list[int]:
    drop = 1 if stage.getDropLast() else 0
    return [int(size) - drop for size in stage.categorySizes]


def convert_one_hot_encoder(scope: Any, operator: Any, container: Any) -> None:
    """Index i → a 1 at position i; with ``dropLast`` the last category (Spark's unseen bucket) is all zeros."""
    g = Graph(scope, container)
    for variable, output, size in zip(operator.inputs, operator.outputs, _one_hot_sizes(operator.raw_operator),
                                      strict=True):
        index = g.op("Cast", [variable.full_name], to=TensorProto.INT64)
        hot = g.op("Equal", [index, g.const("categories", np.arange(size, dtype=np.int64).reshape(1, size),
                                            np.int64)])
        g.op("Cast", [hot], output.full_name, to=TensorProto.DOUBLE)


def shape_one_hot_encoder(operator: Any) -> None:
    double_shape(operator, _one_hot_sizes(operator.raw_operator))


# -- Imputer ---------------------------------------------------------------------------------


def convert_imputer(scope: Any, operator: Any, container: Any) -> None:
    """Missing (NaN, which is also how a null arrives, or ``missingValue``) → the fitted surrogate."""
    g = Graph(scope, container)
    stage = operator.raw_operator
    row = stage.surrogateDF.first()
    missing = float(stage.getMissingValue())
    for variable, output in zip(operator.inputs, operator.outputs, strict=True):
        surrogate = float(row[variable.raw_name])
        value = variable.full_name
        condition = g.op("IsNaN", [value])
        if not math.isnan(missing):
            condition = g.op("Or", [condition, g.op("Equal", [value, g.const("missing", missing)])])
        g.op("Where", [condition, g.const("surrogate", surrogate), value], output.full_name)


# -- VectorAssembler -------------------------------------------------------------------------


def convert_assembler(scope: Any, operator: Any, container: Any) -> None:
    """Concatenate scalar and vector inputs (each cast to double) in input order."""
    g = Graph(scope, container)
    parts = []
    for variable in operator.inputs:
        if _is_string(variable):
            raise ExportError(stage=_stage(operator), reason=f"input {variable.raw_name!r} is a string column")
        parts.append(variable.full_name if _is_double(variable) else g.to_double(variable.full_name))
    g.op("Concat", parts, operator.outputs[0].full_name, axis=1)


def _is_double(variable: Any) -> bool:
    from onnxmltools.convert.common.data_types import DoubleTensorType

    return isinstance(variable.type, DoubleTensorType)


def shape_assembler(operator: Any) -> None:
    double_shape(operator, [sum(width(v) for v in operator.inputs)])


# -- scalers ---------------------------------------------------------------------------------


def _scale(g: Graph, operator: Any, shift: np.ndarray | None, scale: np.ndarray | None,
           offset: np.ndarray | None = None) -> None:
    value = operator.inputs[0].full_name
    steps: list[tuple[str, np.ndarray]] = []
    if shift is not None:
        steps.append(("Sub", shift))
    if scale is not None:
        steps.append(("Mul", scale))
    if offset is not None:
        steps.append(("Add", offset))
    if not steps:
        g.op("Identity", [value], operator.outputs[0].full_name)
        return
    for i, (op, vector) in enumerate(steps):
        out = operator.outputs[0].full_name if i == len(steps) - 1 else None
        value = g.op(op, [value, g.const(op.lower(), vector.reshape(1, -1))], out)


def _reciprocal_or_zero(values: np.ndarray, zero: float = 0.0) -> np.ndarray:
    out = np.full(values.shape, zero, dtype=np.float64)
    nonzero = values != 0
    out[nonzero] = 1.0 / values[nonzero]
    return out


def convert_standard_scaler(scope: Any, operator: Any, container: Any) -> None:
    """(x - mean) * (1 / std), a zero std scaling to 0 — Spark's ``StandardScalerModel``."""
    stage = operator.raw_operator
    shift = stage.mean.toArray().astype(np.float64) if stage.getWithMean() else None
    scale = _reciprocal_or_zero(stage.std.toArray().astype(np.float64)) if stage.getWithStd() else None
    _scale(Graph(scope, container), operator, shift, scale)


def convert_robust_scaler(scope: Any, operator: Any, container: Any) -> None:
    """(x - median) * (1 / range), a zero range scaling to 0 — Spark's ``RobustScalerModel``."""
    stage = operator.raw_operator
    shift = stage.median.toArray().astype(np.float64) if stage.getWithCentering() else None
    scale = _reciprocal_or_zero(stage.range.toArray().astype(np.float64)) if stage.getWithScaling() else None
    _scale(Graph(scope, container), operator, shift, scale)


def convert_max_abs_scaler(scope: Any, operator: Any, container: Any) -> None:
    """x * (1 / max|x|), a zero maximum leaving x unchanged — Spark's ``MaxAbsScalerModel``."""
    stage = operator.raw_operator
    _scale(Graph(scope, container), operator, None, _reciprocal_or_zero(stage.maxAbs.toArray(), 1.0))


def convert_min_max_scaler(scope: Any, operator: Any, container: Any) -> None:
    """(x - min) * (max' - min') / range + min'; a constant feature becomes (min' + max') / 2."""
    stage = operator.raw_operator
    low, high = float(stage.getMin()), float(stage.getMax())
    original_min = stage.originalMin.toArray().astype(np.float64)
    original_range = stage.originalMax.toArray().astype(np.float64) - original_min
    constant = original_range == 0
    scale = np.where(constant, 0.0, (high - low) / np.where(constant, 1.0, original_range))
    offset = np.where(constant, (low + high) / 2.0, low)
    _scale(Graph(scope, container), operator, original_min, scale, offset)


# -- PCA and selectors -----------------------------------------------------------------------


def convert_pca(scope: Any, operator: Any, container: Any) -> None:
    """x · pc (the principal components as columns; Spark does not centre)."""
    g = Graph(scope, container)
    pc = np.asarray(operator.raw_operator.pc.toArray(), dtype=np.float64)
    g.op("MatMul", [operator.inputs[0].full_name, g.const("pc", pc)], operator.outputs[0].full_name)


def shape_pca(operator: Any) -> None:
    double_shape(operator, [int(operator.raw_operator.getK())])


def _selected(stage: Any) -> list[int]:
    return sorted(int(i) for i in stage.selectedFeatures)


def convert_selector(scope: Any, operator: Any, container: Any) -> None:
    """Keep the selected feature indices, in increasing order."""
    g = Graph(scope, container)
    indices = g.const("selected", _selected(operator.raw_operator), np.int64)
    g.op("Gather", [operator.inputs[0].full_name, indices], operator.outputs[0].full_name, axis=1)


def shape_selector(operator: Any) -> None:
    double_shape(operator, [len(_selected(operator.raw_operator))])


# -- IndexToString ---------------------------------------------------------------------------


def convert_index_to_string(scope: Any, operator: Any, container: Any) -> None:
    """Class index → its label (the labels param)."""
    g = Graph(scope, container)
    labels = [str(v) for v in operator.raw_operator.getLabels()]
    index = g.op("Cast", [operator.inputs[0].full_name], to=TensorProto.INT64)
    g.op("LabelEncoder", [index], operator.outputs[0].full_name, domain="ai.onnx.ml",
         keys_int64s=list(range(len(labels))), values_strings=labels, default_string="")


def shape_index_to_string(operator: Any) -> None:
    from onnxmltools.convert.common.data_types import StringTensorType

    operator.outputs[0].type = StringTensorType([operator.inputs[0].type.shape[0], 1])
