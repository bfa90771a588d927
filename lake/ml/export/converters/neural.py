"""The multilayer perceptron: affine layers with sigmoid between them, softmax at the end (double)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from lake.ml.export.converters._graph import Graph, class_prediction, classifier_shape

__all__ = ["convert_mlp", "shape_mlp"]


def convert_mlp(scope: Any, operator: Any, container: Any) -> None:
    """Spark stores each layer's weights column-major as (out x in), i.e. row-major (in x out), then the bias."""
    g = Graph(scope, container)
    stage = operator.raw_operator
    layers = [int(n) for n in stage.getLayers()]
    weights = stage.weights.toArray().astype(np.float64)
    value, offset = operator.inputs[0].full_name, 0
    for i, (n_in, n_out) in enumerate(itertools.pairwise(layers)):
        matrix = weights[offset:offset + n_in * n_out].reshape(n_in, n_out)
        offset += n_in * n_out
        bias = weights[offset:offset + n_out].reshape(1, n_out)
        offset += n_out
        value = g.add(g.matmul(value, matrix), bias)
        if i < len(layers) - 2:
            value = g.op("Sigmoid", [value])
    probability = g.softmax(value, operator.outputs[1].full_name if len(operator.outputs) > 1 else None)
    class_prediction(g, stage, probability, operator.outputs[0].full_name)


def shape_mlp(operator: Any) -> None:
    classifier_shape(operator, int(operator.raw_operator.numClasses))
