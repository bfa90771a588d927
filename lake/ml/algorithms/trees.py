"""Tree models: decision tree, random forest, gradient-boosted trees (classifier or regressor by task)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lake.ml.algorithms._base import CLASSIFICATION, SUPERVISED, Algorithm, BuildContext, HyperParam, spark_columns
from lake.ml.algorithms.kinds import Bool, Choice, Float, Int, OneOf

if TYPE_CHECKING:
    from pyspark.ml import Estimator

__all__ = ["ALGORITHMS", "TREE_ALGORITHMS"]

_REGRESSION = frozenset({"regression"})
_SUBSETS = Choice(("auto", "all", "onethird", "sqrt", "log2"))

_TREE = (
    HyperParam("max_depth", "maxDepth", Int(0, 30), "maximum tree depth"),
    HyperParam("max_bins", "maxBins", Int(2), "bins for continuous features (raised to fit categorical ones)"),
    HyperParam("min_instances_per_node", "minInstancesPerNode", Int(1), "minimum rows in each child"),
    HyperParam("min_info_gain", "minInfoGain", Float(0.0), "minimum information gain for a split"),
    HyperParam("min_weight_fraction_per_node", "minWeightFractionPerNode", Float(0.0, 0.5, open_high=True),
               "minimum weight fraction in each child"),
    HyperParam("seed", "seed", Int(), "random seed"),
)
_IMPURITY = (
    HyperParam("impurity", "impurity", Choice(("gini", "entropy")), "split criterion", CLASSIFICATION),
    HyperParam("impurity", "impurity", Choice(("variance",)), "split criterion", _REGRESSION),
)
_SUBSAMPLE = HyperParam("subsample", "subsamplingRate", Float(0.0, 1.0, open_low=True), "row fraction per tree")
_FEATURE_SUBSET = HyperParam("feature_subset_strategy", "featureSubsetStrategy",
                             OneOf((_SUBSETS, Float(0.0, 1.0, open_low=True))),
                             "features tried per split: a name or a fraction")


def _pick(ctx: BuildContext, classifier: str, regressor: str) -> type:
    import pyspark.ml.classification as c
    import pyspark.ml.regression as r

    return getattr(c, classifier) if ctx.task in CLASSIFICATION else getattr(r, regressor)


def _feature_subset(value: object) -> str:
    return value if isinstance(value, str) else repr(float(value))  # type: ignore[arg-type]


def _tree(ctx: BuildContext) -> Estimator:
    cls = _pick(ctx, "DecisionTreeClassifier", "DecisionTreeRegressor")
    classify = ctx.task in CLASSIFICATION
    return cls(**spark_columns(ctx, probability=classify, raw=classify), **DECISION_TREE.target_kwargs(ctx))


def _forest(ctx: BuildContext) -> Estimator:
    cls = _pick(ctx, "RandomForestClassifier", "RandomForestRegressor")
    classify = ctx.task in CLASSIFICATION
    kwargs = RANDOM_FOREST.target_kwargs(ctx, rename={"featureSubsetStrategy": _feature_subset})
    return cls(**spark_columns(ctx, probability=classify, raw=classify), **kwargs)


def _gbt(ctx: BuildContext) -> Estimator:
    cls = _pick(ctx, "GBTClassifier", "GBTRegressor")
    classify = ctx.task in CLASSIFICATION
    kwargs = GBT.target_kwargs(ctx, rename={"featureSubsetStrategy": _feature_subset})
    if ctx.validation_col:
        kwargs["validationIndicatorCol"] = ctx.validation_col
    estimator = cls(**spark_columns(ctx), **kwargs)
    if classify:  # GBTClassifier's constructor takes no probability/raw columns; its params exist
        estimator._set(probabilityCol=ctx.probability_col, rawPredictionCol=ctx.raw_prediction_col)
    return estimator


DECISION_TREE = Algorithm(
    name="decision_tree",
    summary="a single CART decision tree",
    tasks=SUPERVISED,
    params=(*_TREE, *_IMPURITY),
    build=_tree,
    weights=True,
    probability=True,
    raw_prediction=True,
)

RANDOM_FOREST = Algorithm(
    name="random_forest",
    summary="random forest (bagged trees with feature subsampling)",
    tasks=SUPERVISED,
    params=(*_TREE, *_IMPURITY, _SUBSAMPLE, _FEATURE_SUBSET,
            HyperParam("num_trees", "numTrees", Int(1), "number of trees"),
            HyperParam("bootstrap", "bootstrap", Bool(), "sample rows with replacement")),
    build=_forest,
    weights=True,
    probability=True,
    raw_prediction=True,
)

GBT = Algorithm(
    name="gbt",
    summary="gradient-boosted trees (MLlib GBT; binary classification or regression)",
    tasks=frozenset({"binary", "regression"}),
    params=(*_TREE, _SUBSAMPLE, _FEATURE_SUBSET,
            HyperParam("max_iter", "maxIter", Int(1), "boosting rounds (number of trees)"),
            HyperParam("num_trees", "maxIter", Int(1), "alias of max_iter"),
            HyperParam("learning_rate", "stepSize", Float(0.0, 1.0, open_low=True), "shrinkage per tree"),
            HyperParam("step_size", "stepSize", Float(0.0, 1.0, open_low=True), "alias of learning_rate"),
            HyperParam("validation_tol", "validationTol", Float(0.0),
                       "early stopping: stop when the validation error improves less than this"),
            HyperParam("loss", "lossType", Choice(("logistic",)), "loss function", frozenset({"binary"})),
            HyperParam("loss", "lossType", Choice(("squared", "absolute")), "loss function", _REGRESSION)),
    build=_gbt,
    weights=True,
    probability=True,
    raw_prediction=True,
    early_stopping=True,
    notes="MLlib's GBTClassifier is binary only: use xgboost or random_forest for multiclass.",
)

ALGORITHMS = (DECISION_TREE, RANDOM_FOREST, GBT)
TREE_ALGORITHMS = frozenset(a.name for a in ALGORITHMS)
