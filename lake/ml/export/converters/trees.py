"""Tree models (decision tree, random forest, gradient-boosted trees; classifier and regressor).

Trees are read from the fitted model through the JVM (``rootNode``; needs the live
SparkSession) and written as one ``ai.onnx.ml`` ``TreeEnsemble`` (opset 5) that returns, per
tree, the id of the leaf a row lands in; a ``Gather`` over a table of leaf values then sums the
trees. Continuous splits are ``x <= threshold``; categorical splits (one-hot and indexed
columns carry categorical metadata, so Spark splits on category sets) are set-membership
tests — onnxmltools' converter turned those into a threshold on the first category, which
sends rows down the wrong branch. Everything is double.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from onnx import numpy_helper

from lake.ml.export.converters._graph import Graph, class_prediction, classifier_shape, double_shape

__all__ = [
    "Ensemble",
    "Leaf",
    "Split",
    "convert_gbt_classifier",
    "convert_tree_classifier",
    "convert_tree_regressor",
    "shape_tree_classifier",
    "shape_tree_regressor",
]

_LEQ, _LT, _MEMBER = 0, 1, 6


@dataclass
class Leaf:
    """A leaf: the row of values it contributes (class probabilities, or one prediction)."""

    row: np.ndarray


@dataclass
class Split:
    """An internal node: go left when ``x[feature] <= threshold`` (``< threshold`` if ``strict``) or,
    for a categorical split, when ``x[feature]`` is one of ``categories``; a missing value goes left
    only when ``missing_left``."""

    feature: int
    left: Split | Leaf
    right: Split | Leaf
    threshold: float = 0.0
    categories: tuple[float, ...] | None = None
    strict: bool = False
    missing_left: bool = False


@dataclass
class Ensemble:
    """Trees collected into ``TreeEnsemble`` attributes; each tree writes its leaf id to its own target."""

    width: int
    features: list[int] = field(default_factory=list)
    modes: list[int] = field(default_factory=list)
    splits: list[float] = field(default_factory=list)
    true_ids: list[int] = field(default_factory=list)
    true_leafs: list[int] = field(default_factory=list)
    false_ids: list[int] = field(default_factory=list)
    false_leafs: list[int] = field(default_factory=list)
    missing_true: list[int] = field(default_factory=list)
    members: list[float] = field(default_factory=list)
    roots: list[int] = field(default_factory=list)
    leaf_targets: list[int] = field(default_factory=list)
    table: list[np.ndarray] = field(default_factory=list)

    def add(self, root: Split | Leaf) -> None:
        """Add one tree (a bare leaf becomes a split whose branches share that leaf)."""
        target = len(self.roots)
        if isinstance(root, Leaf):
            leaf = self._leaf(root, target)
            self.roots.append(self._node(0, _LEQ, 0.0, False))
            self._link(self.roots[-1], (leaf, 1), (leaf, 1))
            return
        self.roots.append(self._add(root, target))

    def _add(self, node: Split, target: int) -> int:
        if node.categories is not None:
            index = self._node(node.feature, _MEMBER, float("nan"), node.missing_left)
            self.members.extend([*node.categories, float("nan")])
        else:
            index = self._node(node.feature, _LT if node.strict else _LEQ, node.threshold, node.missing_left)
        left = (self._leaf(node.left, target), 1) if isinstance(node.left, Leaf) else (self._add(node.left, target), 0)
        right = (self._leaf(node.right, target), 1) if isinstance(node.right, Leaf) else (
            self._add(node.right, target), 0)
        self._link(index, left, right)
        return index

    def _node(self, feature: int, mode: int, split: float, missing_left: bool) -> int:
        self.features.append(int(feature))
        self.modes.append(mode)
        self.splits.append(split)
        self.missing_true.append(1 if missing_left else 0)
        for column in (self.true_ids, self.true_leafs, self.false_ids, self.false_leafs):
            column.append(0)
        return len(self.features) - 1

    def _link(self, index: int, left: tuple[int, int], right: tuple[int, int]) -> None:
        self.true_ids[index], self.true_leafs[index] = left
        self.false_ids[index], self.false_leafs[index] = right

    def _leaf(self, leaf: Leaf, target: int) -> int:
        self.leaf_targets.append(target)
        self.table.append(np.asarray(leaf.row, dtype=np.float64).reshape(self.width))
        return len(self.table) - 1

    def scores(self, g: Graph, x: str, out: str | None = None) -> str:
        """Σ over trees of the values of the leaf each row reaches: ``[N, width]``."""
        attrs: dict[str, Any] = {
            "n_targets": len(self.roots),
            "aggregate_function": 1,
            "post_transform": 0,
            "tree_roots": self.roots,
            "nodes_featureids": self.features,
            "nodes_modes": numpy_helper.from_array(np.asarray(self.modes, dtype=np.uint8), "nodes_modes"),
            "nodes_splits": numpy_helper.from_array(np.asarray(self.splits, dtype=np.float64), "nodes_splits"),
            "nodes_truenodeids": self.true_ids,
            "nodes_trueleafs": self.true_leafs,
            "nodes_falsenodeids": self.false_ids,
            "nodes_falseleafs": self.false_leafs,
            "nodes_missing_value_tracks_true": self.missing_true,
            "leaf_targetids": self.leaf_targets,
            "leaf_weights": numpy_helper.from_array(np.arange(len(self.table), dtype=np.float64), "leaf_weights"),
        }
        if self.members:
            attrs["membership_values"] = numpy_helper.from_array(np.asarray(self.members, dtype=np.float64),
                                                                 "membership_values")
        leaf_ids = g.op("TreeEnsemble", [x], domain="ai.onnx.ml", **attrs)
        rows = g.op("Gather", [g.const("leaves", np.vstack(self.table)), g.op("Cast", [leaf_ids], to=7)], axis=0)
        return g.op("ReduceSum", [rows, g.const("axis", [1], np.int64)], out, keepdims=0)


# -- reading Spark trees ---------------------------------------------------------------------


def _doubles(text: str) -> tuple[float, ...]:
    inner = text.strip()[1:-1].strip()
    return tuple(float(v) for v in inner.split(",")) if inner else ()


def read_spark_tree(tree: Any, leaf_row: Callable[[Any, Any], Sequence[float]]) -> Split | Leaf:
    """The structure of a fitted ``DecisionTree*Model`` (through py4j)."""
    from pyspark import SparkContext

    context = SparkContext._active_spark_context
    jvm = context._jvm if context is not None else None
    if jvm is None:
        raise RuntimeError("reading a Spark tree needs an active SparkSession")
    arrays = jvm.java.util.Arrays

    def walk(node: Any) -> Split | Leaf:
        if str(node.toString()).startswith("LeafNode"):
            return Leaf(np.asarray(leaf_row(node, arrays), dtype=np.float64))
        split = node.split()
        feature = int(split.featureIndex())
        left, right = walk(node.leftChild()), walk(node.rightChild())
        if "CategoricalSplit" in str(split.toString()):
            return Split(feature, left, right, categories=_doubles(arrays.toString(split.leftCategories())))
        return Split(feature, left, right, threshold=float(split.threshold()))

    return walk(tree._call_java("rootNode"))


def _class_frequencies(node: Any, arrays: Any) -> list[float]:
    counts = np.asarray(_doubles(arrays.toString(node.impurityStats().stats())), dtype=np.float64)
    total = counts.sum()
    return list(counts / total) if total != 0 else list(counts)


def _prediction(weight: float) -> Callable[[Any, Any], list[float]]:
    return lambda node, _arrays: [float(node.prediction()) * weight]


def _trees(stage: Any) -> list[Any]:
    return list(stage.trees) if hasattr(stage, "trees") else [stage]


# -- converters ------------------------------------------------------------------------------


def convert_tree_classifier(scope: Any, operator: Any, container: Any) -> None:
    """Decision tree: the leaf's class frequencies. Forest: their sum over trees, normalised."""
    g = Graph(scope, container)
    stage = operator.raw_operator
    trees = _trees(stage)
    ensemble = Ensemble(int(stage.numClasses))
    for tree in trees:
        ensemble.add(read_spark_tree(tree, _class_frequencies))
    probability_out = operator.outputs[1].full_name if len(operator.outputs) > 1 else None
    if len(trees) == 1 and not hasattr(stage, "trees"):
        probability = ensemble.scores(g, operator.inputs[0].full_name, probability_out)
    else:
        raw = ensemble.scores(g, operator.inputs[0].full_name)
        total = g.op("ReduceSum", [raw, g.const("axis", [1], np.int64)], keepdims=1)
        probability = g.op("Div", [raw, total], probability_out)
    class_prediction(g, stage, probability, operator.outputs[0].full_name)


def shape_tree_classifier(operator: Any) -> None:
    classifier_shape(operator, int(operator.raw_operator.numClasses))


def convert_gbt_classifier(scope: Any, operator: Any, container: Any) -> None:
    """m = Σ wᵢ treeᵢ(x); P(0) = 1 / (1 + e^{2m}), P(1) = 1 - P(0) (Spark's log-loss link)."""
    g = Graph(scope, container)
    stage = operator.raw_operator
    ensemble = Ensemble(1)
    for tree, weight in zip(stage.trees, stage.treeWeights, strict=True):
        ensemble.add(read_spark_tree(tree, _prediction(float(weight))))
    margin = ensemble.scores(g, operator.inputs[0].full_name)
    p0 = g.op("Div", [g.const("one", 1.0), g.add(g.op("Exp", [g.op("Mul", [margin, g.const("two", 2.0)])]),
                                                  1.0, "one")])
    p1 = g.op("Sub", [g.const("one", 1.0), p0])
    probability_out = operator.outputs[1].full_name if len(operator.outputs) > 1 else None
    probability = g.op("Concat", [p0, p1], probability_out, axis=1)
    class_prediction(g, stage, probability, operator.outputs[0].full_name)


def convert_tree_regressor(scope: Any, operator: Any, container: Any) -> None:
    """Decision tree: the leaf's prediction. Forest: the mean over trees. GBT: Σ wᵢ treeᵢ(x)."""
    g = Graph(scope, container)
    stage = operator.raw_operator
    weights = list(stage.treeWeights) if type(stage).__name__ == "GBTRegressionModel" else None
    trees = _trees(stage)
    ensemble = Ensemble(1)
    for i, tree in enumerate(trees):
        ensemble.add(read_spark_tree(tree, _prediction(float(weights[i]) if weights else 1.0)))
    out = operator.outputs[0].full_name
    if type(stage).__name__ == "RandomForestRegressionModel":
        g.op("Div", [ensemble.scores(g, operator.inputs[0].full_name), g.const("trees", float(len(trees)))], out)
    else:
        ensemble.scores(g, operator.inputs[0].full_name, out)


def shape_tree_regressor(operator: Any) -> None:
    double_shape(operator, [1])
