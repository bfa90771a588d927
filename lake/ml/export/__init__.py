"""ONNX export of fitted Spark pipelines, verified against Spark, for serving without Spark.

``export_onnx(pipeline_model, spark, sample_df)`` returns an :class:`OnnxExport` (model bytes,
signature, opset, stages) or raises :class:`~lake.ml.errors.ExportError` naming the stage that
cannot be exported; ``verify_export(export, pipeline_model, test_df)`` scores the rows both
ways and raises :class:`~lake.ml.errors.ExportMismatchError` naming the first stage whose
output disagrees.
"""

from __future__ import annotations

from lake.ml.export.converters import CONVERTERS, ML_OPSET, NOT_EXPORTABLE, OPSET, register_converters
from lake.ml.export.feeds import build_feeds, decode_predictions, decode_probabilities
from lake.ml.export.onnx_export import (
    MODEL_FILE,
    SIGNATURE_FILE,
    OnnxExport,
    TensorSpec,
    export_onnx,
    pipeline_signature,
)
from lake.ml.export.signature import FIELD_TYPES, METADATA_KEY, NULL_STRING, Field, Signature
from lake.ml.export.stages import PipelinePlan, plan_pipeline
from lake.ml.export.verify import Verification, verify_export

__all__ = [
    "CONVERTERS",
    "FIELD_TYPES",
    "METADATA_KEY",
    "ML_OPSET",
    "MODEL_FILE",
    "NOT_EXPORTABLE",
    "NULL_STRING",
    "OPSET",
    "SIGNATURE_FILE",
    "Field",
    "OnnxExport",
    "PipelinePlan",
    "Signature",
    "TensorSpec",
    "Verification",
    "build_feeds",
    "decode_predictions",
    "decode_probabilities",
    "export_onnx",
    "pipeline_signature",
    "plan_pipeline",
    "register_converters",
    "verify_export",
]
