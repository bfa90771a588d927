"""``xgboost.spark`` models (classifier and regressor) from the booster's JSON model.

XGBoost works in float32: features are rounded to float32 first, splits are ``x < threshold``
with the float32 threshold, and a missing value (NaN) follows each node's default direction.
Leaf values are summed per class (``tree_info``) onto the base margin; the classifier then
applies what ``xgboost.spark`` applies to the margins (sigmoid for one margin, softmax for
several; prediction = argmax of the probabilities), the regressor its objective's link.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from onnx import TensorProto

from lake.ml.errors import ExportError
from lake.ml.export.converters._graph import Graph, classifier_shape, double_shape
from lake.ml.export.converters.trees import Ensemble, Leaf, Split

__all__ = ["convert_xgb_classifier", "convert_xgb_regressor", "shape_xgb_classifier", "shape_xgb_regressor",
           "xgb_classes"]

_IDENTITY = frozenset({"reg:squarederror", "reg:squaredlogerror", "reg:absoluteerror", "reg:pseudohubererror",
                       "reg:quantileerror"})
_EXP = frozenset({"count:poisson", "reg:gamma", "reg:tweedie"})
_LOGISTIC = frozenset({"binary:logistic", "reg:logistic", "binary:hinge"})


def _booster_json(stage: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    booster = stage.get_booster()
    return json.loads(booster.save_config())["learner"], json.loads(booster.save_raw("json"))["learner"]


def _floats(text: Any) -> list[float]:
    if isinstance(text, int | float):
        return [float(text)]
    return [float(v) for v in str(text).strip("[]").split(",") if v.strip()]


def xgb_classes(stage: Any) -> int:
    """The class count of a fitted ``SparkXGBClassifierModel``."""
    learner, _ = _booster_json(stage)
    return max(2, int(learner["learner_model_param"].get("num_class", "0")))


def _ensemble(stage: Any, width: int) -> tuple[Ensemble, list[float], str]:
    learner, model = _booster_json(stage)
    booster = model["gradient_booster"]
    name = booster.get("name")
    if name != "gbtree":
        raise ExportError(stage=type(stage).__name__, reason=f"booster {name!r} is not exportable (only gbtree)")
    objective = learner["objective"]["name"]
    trees, classes = booster["model"]["trees"], booster["model"]["tree_info"]
    ensemble = Ensemble(width)
    for tree, target in zip(trees, classes, strict=True):
        ensemble.add(_tree(stage, tree, int(target) if width > 1 else 0, width))
    base = _floats(learner["learner_model_param"]["base_score"])
    if objective in _LOGISTIC:
        base = [math.log(b / (1.0 - b)) for b in base]
    elif objective in _EXP:
        base = [math.log(b) for b in base]
    if len(base) == 1 and width > 1:
        base = base * width
    return ensemble, base, objective


def _tree(stage: Any, tree: dict[str, Any], target: int, width: int) -> Split | Leaf:
    left, right = tree["left_children"], tree["right_children"]
    features, conditions, default_left = tree["split_indices"], tree["split_conditions"], tree["default_left"]
    kinds = tree.get("split_type") or [0] * len(left)

    def walk(i: int) -> Split | Leaf:
        if left[i] == -1:
            row = np.zeros(width)
            row[target] = float(np.float32(conditions[i]))
            return Leaf(row)
        if kinds[i] != 0:
            raise ExportError(stage=type(stage).__name__, reason="categorical splits are not exportable")
        return Split(int(features[i]), walk(left[i]), walk(right[i]), threshold=float(np.float32(conditions[i])),
                     strict=True, missing_left=bool(default_left[i]))

    return walk(0)


def _margins(g: Graph, operator: Any, width: int) -> tuple[str, str]:
    ensemble, base, objective = _ensemble(operator.raw_operator, width)
    rounded = g.to_double(g.op("Cast", [operator.inputs[0].full_name], to=TensorProto.FLOAT))
    return g.add(ensemble.scores(g, rounded), np.asarray(base, dtype=np.float64).reshape(1, -1), "base"), objective


def convert_xgb_classifier(scope: Any, operator: Any, container: Any) -> None:
    g = Graph(scope, container)
    classes = xgb_classes(operator.raw_operator)
    width = 1 if classes == 2 else classes
    margin, _ = _margins(g, operator, width)
    probability_out = operator.outputs[1].full_name if len(operator.outputs) > 1 else None
    if width == 1:
        p1 = g.op("Sigmoid", [margin])
        probability = g.op("Concat", [g.op("Sub", [g.const("one", 1.0), p1]), p1], probability_out, axis=1)
    else:
        probability = g.softmax(margin, probability_out)
    g.argmax(probability, operator.outputs[0].full_name)


def shape_xgb_classifier(operator: Any) -> None:
    classifier_shape(operator, xgb_classes(operator.raw_operator))


def convert_xgb_regressor(scope: Any, operator: Any, container: Any) -> None:
    g = Graph(scope, container)
    margin, objective = _margins(g, operator, 1)
    out = operator.outputs[0].full_name
    if objective in _IDENTITY:
        g.op("Identity", [margin], out)
    elif objective in _EXP:
        g.op("Exp", [margin], out)
    elif objective in _LOGISTIC:
        g.op("Sigmoid", [margin], out)
    else:
        raise ExportError(stage=type(operator.raw_operator).__name__,
                          reason=f"objective {objective!r} has no ONNX translation")


def shape_xgb_regressor(operator: Any) -> None:
    double_shape(operator, [1])
