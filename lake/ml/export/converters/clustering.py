"""k-means: the nearest centre (squared Euclidean or cosine distance), as an integer cluster id."""

from __future__ import annotations

from typing import Any

import numpy as np

from lake.ml.errors import ExportError
from lake.ml.export.converters._graph import Graph

__all__ = ["convert_kmeans", "shape_kmeans"]


def convert_kmeans(scope: Any, operator: Any, container: Any) -> None:
    g = Graph(scope, container)
    stage = operator.raw_operator
    centers = np.vstack([np.asarray(c, dtype=np.float64) for c in stage.clusterCenters()])
    x = operator.inputs[0].full_name
    measure = stage.getDistanceMeasure()
    if measure == "euclidean":
        rows = g.op("Unsqueeze", [x, g.const("axis", [1], np.int64)])
        diff = g.op("Sub", [rows, g.const("centers", centers[np.newaxis, :, :])])
        distance = g.op("ReduceSum", [g.op("Mul", [diff, diff]), g.const("axis", [2], np.int64)], keepdims=0)
    elif measure == "cosine":
        dots = g.matmul(x, centers.T, "centers")
        norms = g.op("Sqrt", [g.op("ReduceSum", [g.op("Mul", [x, x]), g.const("axis", [1], np.int64)],
                                   keepdims=1)])
        center_norms = np.linalg.norm(centers, axis=1).reshape(1, -1)
        cosine = g.op("Div", [dots, g.op("Mul", [norms, g.const("center_norms", center_norms)])])
        distance = g.op("Sub", [g.const("one", 1.0), cosine])
    else:
        raise ExportError(stage="KMeansModel", reason=f"distance measure {measure!r} has no ONNX translation")
    g.op("ArgMin", [distance], operator.outputs[0].full_name, axis=1, keepdims=1, select_last_index=0)


def shape_kmeans(operator: Any) -> None:
    from onnxmltools.convert.common.data_types import Int64TensorType

    operator.outputs[0].type = Int64TensorType([operator.inputs[0].type.shape[0], 1])
