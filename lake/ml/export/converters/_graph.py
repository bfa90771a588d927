"""A small builder over onnxmltools' scope and container: constants, nodes, and the opsets we target.

Every converter here computes in ``double`` (Spark's precision). The default ONNX domain is
opset :data:`OPSET` (string ``Equal`` needs 19, ``RegexFullMatch`` 20) and ``ai.onnx.ml`` is opset :data:`ML_OPSET`
(``TreeEnsemble`` with set-membership splits needs 5); the exporter pins both in the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from onnx import TensorProto

__all__ = [
    "ML_OPSET",
    "OPSET",
    "Graph",
    "class_prediction",
    "classifier_shape",
    "double_shape",
    "prediction_outputs",
    "width",
]

OPSET = 20
ML_OPSET = 5
_DTYPES = {np.dtype(np.float64): TensorProto.DOUBLE, np.dtype(np.float32): TensorProto.FLOAT,
           np.dtype(np.int64): TensorProto.INT64, np.dtype(np.bool_): TensorProto.BOOL}


class Graph:
    """Adds nodes and initializers for one operator, with unique names from its scope."""

    def __init__(self, scope: Any, container: Any) -> None:
        self.scope = scope
        self.container = container

    def name(self, seed: str) -> str:
        return str(self.scope.get_unique_variable_name(seed))

    def const(self, seed: str, value: Any, dtype: Any = np.float64) -> str:
        """An initializer holding ``value`` (numbers as ``dtype``; a list of str as a string tensor)."""
        name = self.name(seed)
        if isinstance(value, list | tuple) and value and isinstance(value[0], str):
            self.container.add_initializer(name, TensorProto.STRING, [len(value)], [v.encode() for v in value])
            return name
        array = np.asarray(value, dtype=dtype)
        self.container.add_initializer(name, _DTYPES[array.dtype], list(array.shape), array.ravel().tolist())
        return name

    def string_const(self, seed: str, value: str) -> str:
        name = self.name(seed)
        self.container.add_initializer(name, TensorProto.STRING, [], [value.encode()])
        return name

    def op(self, op_type: str, inputs: Sequence[str], out: str | None = None, *, domain: str = "",
           **attrs: Any) -> str:
        """Add one node with one output (``out`` or a fresh name); returns the output name."""
        output = out or self.name(op_type.lower())
        self.ops(op_type, inputs, [output], domain=domain, **attrs)
        return output

    def ops(self, op_type: str, inputs: Sequence[str], outputs: Sequence[str], *, domain: str = "",
            **attrs: Any) -> list[str]:
        # onnxmltools derives opset imports from these versions and refuses any above its own maximum
        # (15); the exporter pins the real opsets (OPSET, ML_OPSET) in the finished model.
        self.container.add_node(op_type, list(inputs), list(outputs), op_domain=domain, op_version=1,
                                name=self.scope.get_unique_operator_name(op_type), **attrs)
        return list(outputs)

    def to_double(self, value: str) -> str:
        return self.op("Cast", [value], to=TensorProto.DOUBLE)

    def matmul(self, value: str, matrix: np.ndarray, seed: str = "w") -> str:
        return self.op("MatMul", [value, self.const(seed, matrix)])

    def add(self, value: str, vector: Any, seed: str = "b") -> str:
        return self.op("Add", [value, self.const(seed, vector)])

    def columns(self, value: str, first: int, last: int) -> str:
        """``value[:, first:last]``."""
        return self.op("Slice", [value, self.const("start", [first], np.int64), self.const("end", [last], np.int64),
                                 self.const("axes", [1], np.int64)])

    def argmax(self, value: str, out: str | None = None) -> str:
        """Row-wise argmax (first of ties) as a double ``[N, 1]`` (Spark's class index)."""
        index = self.op("ArgMax", [value], axis=1, keepdims=1, select_last_index=0)
        return self.op("Cast", [index], out, to=TensorProto.DOUBLE)

    def softmax(self, value: str, out: str | None = None) -> str:
        """exp(x - max) / sum, row-wise (Spark's ``raw2probability`` for multinomial models)."""
        shifted = self.op("Sub", [value, self.op("ReduceMax", [value, self.const("axis", [1], np.int64)],
                                                  keepdims=1)])
        exp = self.op("Exp", [shifted])
        return self.op("Div", [exp, self.op("ReduceSum", [exp, self.const("axis", [1], np.int64)], keepdims=1)],
                       out)


def width(variable: Any) -> int:
    """The column count of a ``[N, C]`` variable (after shape inference)."""
    shape = variable.type.shape
    if len(shape) < 2 or not isinstance(shape[1], int):
        raise ValueError(f"variable {variable.raw_name} has no known width (shape {shape})")
    return int(shape[1])


def double_shape(operator: Any, widths: Sequence[int]) -> None:
    """Set the operator's outputs to ``double [N, w]`` tensors."""
    from onnxmltools.convert.common.data_types import DoubleTensorType

    rows = operator.inputs[0].type.shape[0] if operator.inputs else None
    for output, w in zip(operator.outputs, widths, strict=True):
        output.type = DoubleTensorType([rows, w])


def class_prediction(g: Graph, stage: Any, probability: str, out: str) -> str:
    """Spark's ``probability2prediction``: argmax of probability / thresholds (a zero threshold wins)."""
    thresholds = None
    if stage.hasParam("thresholds") and stage.isSet(stage.getParam("thresholds")):
        thresholds = np.asarray(stage.getOrDefault(stage.getParam("thresholds")), dtype=np.float64)
    if thresholds is None:
        return g.argmax(probability, out)
    zero = thresholds == 0
    scaled = g.op("Div", [probability, g.const("thresholds", np.where(zero, 1.0, thresholds).reshape(1, -1))])
    if zero.any():
        scaled = g.op("Where", [g.const("zero", zero.reshape(1, -1), np.bool_), g.const("inf", np.inf), scaled])
    return g.argmax(scaled, out)


def prediction_outputs(stage: Any) -> list[str]:
    """The prediction column, then the probability column when the stage writes one."""
    columns = [str(stage.getOrDefault(stage.getParam("predictionCol")))]
    if stage.hasParam("probabilityCol"):
        probability = stage.getOrDefault(stage.getParam("probabilityCol"))
        if probability:
            columns.append(str(probability))
    return columns


def classifier_shape(operator: Any, classes: int) -> None:
    """``prediction`` double ``[N, 1]`` (and ``probability`` double ``[N, classes]``)."""
    double_shape(operator, [1, classes][: len(operator.outputs)])
