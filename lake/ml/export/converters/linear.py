"""Linear models in double precision: logistic regression, linear SVM, linear regression.

Replaces onnxmltools' float32 ``LinearClassifier`` converter, which normalises per-class
sigmoids instead of taking the softmax of a multinomial model, ignores the decision
threshold, and prints its attributes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto

from lake.ml.export.converters._graph import Graph, class_prediction, classifier_shape, double_shape

__all__ = [
    "convert_linear_regression",
    "convert_linear_svc",
    "convert_logistic_regression",
    "shape_linear_regression",
    "shape_linear_svc",
    "shape_logistic_regression",
]


def _margin(g: Graph, x: str, weights: np.ndarray, intercepts: np.ndarray) -> str:
    """x · weightsᵀ + intercepts: ``[N, rows of weights]``."""
    return g.add(g.matmul(x, np.asarray(weights, dtype=np.float64).T), np.asarray(intercepts).reshape(1, -1))


def _binomial(stage: Any) -> bool:
    return int(stage.coefficientMatrix.numRows) == 1


def convert_logistic_regression(scope: Any, operator: Any, container: Any) -> None:
    """Binomial: P = sigmoid([-m, m]), class 1 when P(1) > threshold. Multinomial: softmax, argmax."""
    g = Graph(scope, container)
    stage = operator.raw_operator
    x = operator.inputs[0].full_name
    prediction = operator.outputs[0].full_name
    probability = operator.outputs[1].full_name if len(operator.outputs) > 1 else None
    margins = _margin(g, x, stage.coefficientMatrix.toArray(), stage.interceptVector.toArray())
    if _binomial(stage):
        raw = g.op("Concat", [g.op("Neg", [margins]), margins], axis=1)
        prob = g.op("Sigmoid", [raw], probability)
        positive = g.columns(prob, 1, 2)
        above = g.op("Greater", [positive, g.const("threshold", float(stage.getThreshold()))])
        g.op("Cast", [above], prediction, to=TensorProto.DOUBLE)
        return
    prob = g.softmax(margins, probability)
    class_prediction(g, stage, prob, prediction)


def shape_logistic_regression(operator: Any) -> None:
    classifier_shape(operator, int(operator.raw_operator.numClasses))


def convert_linear_svc(scope: Any, operator: Any, container: Any) -> None:
    """Class 1 when the margin x · w + b exceeds ``threshold`` (no probabilities)."""
    g = Graph(scope, container)
    stage = operator.raw_operator
    margin = _margin(g, operator.inputs[0].full_name, stage.coefficients.toArray().reshape(1, -1),
                     np.asarray([stage.intercept]))
    above = g.op("Greater", [margin, g.const("threshold", float(stage.getThreshold()))])
    g.op("Cast", [above], operator.outputs[0].full_name, to=TensorProto.DOUBLE)


def shape_linear_svc(operator: Any) -> None:
    double_shape(operator, [1])


def convert_linear_regression(scope: Any, operator: Any, container: Any) -> None:
    """x · w + b."""
    g = Graph(scope, container)
    stage = operator.raw_operator
    margin = _margin(g, operator.inputs[0].full_name, stage.coefficients.toArray().reshape(1, -1),
                     np.asarray([stage.intercept]))
    g.op("Identity", [margin], operator.outputs[0].full_name)


def shape_linear_regression(operator: Any) -> None:
    double_shape(operator, [1])
