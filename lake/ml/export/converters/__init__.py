"""Our Spark ML → ONNX converters, registered into onnxmltools' converter framework.

:func:`register_converters` imports ``onnxmltools.convert.sparkml.operator_converters`` (the
library's own registrations) first and then registers ours with ``overwrite=True``, adding the
stage types onnxmltools does not know (``SQLTransformer``, ``RobustScalerModel``, the feature
selectors) to its name and column maps. It is idempotent. :data:`CONVERTERS` lists what can be
exported; :data:`NOT_EXPORTABLE` says why some common stages cannot be.
"""

from __future__ import annotations

import contextvars
import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lake.ml.errors import ExportError
from lake.ml.export.converters import bayes, clustering, features, linear, neural, sql, trees, xgb
from lake.ml.export.converters._graph import ML_OPSET, OPSET, prediction_outputs
from lake.ml.export.stages import stage_io

__all__ = ["CONVERTERS", "ML_OPSET", "NOT_EXPORTABLE", "OPSET", "Converter", "operator_name",
           "register_converters", "trace"]


@dataclass(frozen=True)
class Converter:
    """How one Spark stage class becomes ONNX: its converter, shape calculator and output columns."""

    spark_class: str
    convert: Callable[[Any, Any, Any], None]
    shape: Callable[[Any], None]
    outputs: Callable[[Any], list[str]] | None = None

    @property
    def class_name(self) -> str:
        return self.spark_class.rsplit(".", 1)[1]


def _c(path: str, convert: Callable[[Any, Any, Any], None], shape: Callable[[Any], None],
       outputs: Callable[[Any], list[str]] | None = None) -> Converter:
    return Converter(path, convert, shape, outputs)


_FEATURE = "pyspark.ml.feature."
_CLASSIFICATION = "pyspark.ml.classification."
_REGRESSION = "pyspark.ml.regression."
_SELECTORS = ("VarianceThresholdSelectorModel", "UnivariateFeatureSelectorModel", "ChiSqSelectorModel")

CONVERTERS: dict[str, Converter] = {c.class_name: c for c in (
    _c(_FEATURE + "StringIndexerModel", features.convert_string_indexer, features.shape_string_indexer),
    _c(_FEATURE + "OneHotEncoderModel", features.convert_one_hot_encoder, features.shape_one_hot_encoder),
    _c(_FEATURE + "ImputerModel", features.convert_imputer, features.shape_same),
    _c(_FEATURE + "VectorAssembler", features.convert_assembler, features.shape_assembler),
    _c(_FEATURE + "StandardScalerModel", features.convert_standard_scaler, features.shape_same),
    _c(_FEATURE + "MinMaxScalerModel", features.convert_min_max_scaler, features.shape_same),
    _c(_FEATURE + "MaxAbsScalerModel", features.convert_max_abs_scaler, features.shape_same),
    _c(_FEATURE + "RobustScalerModel", features.convert_robust_scaler, features.shape_same),
    _c(_FEATURE + "PCAModel", features.convert_pca, features.shape_pca),
    *(_c(_FEATURE + name, features.convert_selector, features.shape_selector) for name in _SELECTORS),
    _c(_FEATURE + "IndexToString", features.convert_index_to_string, features.shape_index_to_string),
    _c(_FEATURE + "SQLTransformer", sql.convert_sql, sql.shape_sql),
    _c(_CLASSIFICATION + "LogisticRegressionModel", linear.convert_logistic_regression,
       linear.shape_logistic_regression, prediction_outputs),
    _c(_CLASSIFICATION + "LinearSVCModel", linear.convert_linear_svc, linear.shape_linear_svc,
       lambda s: prediction_outputs(s)[:1]),
    _c(_REGRESSION + "LinearRegressionModel", linear.convert_linear_regression, linear.shape_linear_regression,
       prediction_outputs),
    _c(_CLASSIFICATION + "NaiveBayesModel", bayes.convert_naive_bayes, bayes.shape_naive_bayes, prediction_outputs),
    _c(_CLASSIFICATION + "MultilayerPerceptronClassificationModel", neural.convert_mlp, neural.shape_mlp,
       prediction_outputs),
    _c(_CLASSIFICATION + "DecisionTreeClassificationModel", trees.convert_tree_classifier,
       trees.shape_tree_classifier, prediction_outputs),
    _c(_CLASSIFICATION + "RandomForestClassificationModel", trees.convert_tree_classifier,
       trees.shape_tree_classifier, prediction_outputs),
    _c(_CLASSIFICATION + "GBTClassificationModel", trees.convert_gbt_classifier, trees.shape_tree_classifier,
       prediction_outputs),
    _c(_REGRESSION + "DecisionTreeRegressionModel", trees.convert_tree_regressor, trees.shape_tree_regressor,
       prediction_outputs),
    _c(_REGRESSION + "RandomForestRegressionModel", trees.convert_tree_regressor, trees.shape_tree_regressor,
       prediction_outputs),
    _c(_REGRESSION + "GBTRegressionModel", trees.convert_tree_regressor, trees.shape_tree_regressor,
       prediction_outputs),
    _c("pyspark.ml.clustering.KMeansModel", clustering.convert_kmeans, clustering.shape_kmeans,
       lambda s: prediction_outputs(s)[:1]),
    _c("xgboost.spark.SparkXGBClassifierModel", xgb.convert_xgb_classifier, xgb.shape_xgb_classifier,
       prediction_outputs),
    _c("xgboost.spark.SparkXGBRegressorModel", xgb.convert_xgb_regressor, xgb.shape_xgb_regressor,
       lambda s: prediction_outputs(s)[:1]),
)}

NOT_EXPORTABLE: dict[str, str] = {
    "FMClassificationModel": "factorization machines have no ONNX converter",
    "FMRegressionModel": "factorization machines have no ONNX converter",
    "KNNModel": "k-nearest neighbours needs its training rows at prediction time",
    "GaussianMixtureModel": "Gaussian mixtures have no ONNX converter",
    "BisectingKMeansModel": "bisecting k-means assigns clusters by walking its split tree, which has no "
                            "ONNX converter",
    "LocalLDAModel": "LDA topic inference is iterative and has no ONNX converter",
    "DistributedLDAModel": "LDA topic inference is iterative and has no ONNX converter",
}

_trace: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("lakeforge_onnx_trace",
                                                                               default=None)
_lock = threading.Lock()
_registered = False


def operator_name(converter: Converter) -> str:
    return converter.spark_class


def trace() -> contextvars.ContextVar[dict[str, str] | None]:
    """The context variable that collects Spark column → ONNX value names during one conversion."""
    return _trace


def _traced(converter: Converter) -> Callable[[Any, Any, Any], None]:
    def convert(scope: Any, operator: Any, container: Any) -> None:
        names = _trace.get()
        if names is not None:
            for variable in operator.outputs:
                names[variable.raw_name] = variable.full_name
        try:
            converter.convert(scope, operator, container)
        except ExportError:
            raise
        except Exception as exc:
            raise ExportError(stage=converter.class_name, reason=f"{type(exc).__name__}: {exc}") from exc

    return convert


def _shaped(converter: Converter) -> Callable[[Any], None]:
    def shape(operator: Any) -> None:
        try:
            converter.shape(operator)
        except ExportError:
            raise
        except Exception as exc:
            raise ExportError(stage=converter.class_name, reason=f"{type(exc).__name__}: {exc}") from exc

    return shape


def _io(converter: Converter) -> tuple[Callable[[Any], list[str]], Callable[[Any], list[str]]]:
    def inputs(stage: Any) -> list[str]:
        return list(stage_io(stage).inputs)

    def outputs(stage: Any) -> list[str]:
        return converter.outputs(stage) if converter.outputs else list(stage_io(stage).outputs)

    return inputs, outputs


def register_converters() -> None:
    """Register our converters into onnxmltools (after its own, overwriting them)."""
    global _registered
    with _lock:
        if _registered:
            return
        import onnxmltools.convert.sparkml.operator_converters  # noqa: F401  (the library's registrations first)
        from onnxmltools.convert.common._registration import register_converter, register_shape_calculator
        from onnxmltools.convert.sparkml import ops_input_output, ops_names

        for converter in CONVERTERS.values():
            module, _, name = converter.spark_class.rpartition(".")
            spark_class = getattr(importlib.import_module(module), name)
            op = operator_name(converter)
            ops_names.sparkml_operator_name_map[spark_class] = op
            ops_input_output.io_name_map[op] = _io(converter)
            register_converter(op, _traced(converter), overwrite=True)
            register_shape_calculator(op, _shaped(converter), overwrite=True)
        _registered = True


