"""Naive Bayes (multinomial, complement, Bernoulli, Gaussian) as Spark computes its raw scores.

Probabilities are the softmax of the raw scores and the prediction their argmax (or Spark's
thresholds). onnxmltools' converter builds a ``ReduceSum`` that is invalid from opset 13 and
has no complement or Gaussian model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lake.ml.errors import ExportError
from lake.ml.export.converters._graph import Graph, class_prediction, classifier_shape

__all__ = ["convert_naive_bayes", "shape_naive_bayes"]


def convert_naive_bayes(scope: Any, operator: Any, container: Any) -> None:
    g = Graph(scope, container)
    stage = operator.raw_operator
    x = operator.inputs[0].full_name
    kind = stage.getModelType()
    pi = stage.pi.toArray().astype(np.float64).reshape(1, -1)
    theta = stage.theta.toArray().astype(np.float64)
    if kind == "multinomial":
        raw = g.add(g.matmul(x, theta.T), pi)
    elif kind == "complement":
        raw = g.matmul(x, theta.T)
    elif kind == "bernoulli":
        negative = np.log1p(-np.exp(theta))
        raw = g.add(g.matmul(x, (theta - negative).T), pi + negative.sum(axis=1).reshape(1, -1))
    elif kind == "gaussian":
        sigma = stage.sigma.toArray().astype(np.float64)
        rows = g.op("Unsqueeze", [x, g.const("axis", [1], np.int64)])
        diff = g.op("Sub", [rows, g.const("theta", theta[np.newaxis, :, :])])
        scaled = g.op("Div", [g.op("Mul", [diff, diff]), g.const("sigma", sigma[np.newaxis, :, :])])
        squares = g.op("ReduceSum", [scaled, g.const("axis", [2], np.int64)], keepdims=0)
        log_var = np.log(sigma).sum(axis=1).reshape(1, -1)
        half = g.op("Mul", [g.add(squares, log_var), g.const("half", -0.5)])
        raw = g.add(half, pi)
    else:
        raise ExportError(stage="NaiveBayesModel", reason=f"model type {kind!r} has no ONNX translation")
    probability = g.softmax(raw, operator.outputs[1].full_name if len(operator.outputs) > 1 else None)
    class_prediction(g, stage, probability, operator.outputs[0].full_name)


def shape_naive_bayes(operator: Any) -> None:
    classifier_shape(operator, int(operator.raw_operator.numClasses))
