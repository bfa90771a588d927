"""A SageMaker-runtime-compatible endpoint over exported models: scoring, validation, HTTP, hot swap, capture.

:class:`Scorer` scores with onnxruntime (no Spark in the request path); :class:`SparkScorer`
is the slow Spark-backed path for models that cannot be exported. :class:`ModelHolder` polls a
resolver and swaps versions atomically; :class:`DataCapture` samples invocations into a
:class:`DeltaCaptureSink` off the request path; :class:`EndpointServer` / :func:`serve` run
the HTTP server (``python -m lake.ml.serving.server`` is the service entry point).
"""

from __future__ import annotations

from typing import Any

from lake.ml.serving.capture import CaptureRecord, CaptureSink, DataCapture, DeltaCaptureSink, capture_schema
from lake.ml.serving.hotswap import Builder, ModelHolder, ModelPackage, Resolver, onnx_builder
from lake.ml.serving.records import CSV, JSON, Columns, columns_from_records, parse_body
from lake.ml.serving.registry import (
    ONNX_ARTIFACT_PATH,
    ModelSource,
    RegistryResolver,
    RegistrySparkResolver,
    load_registered_export,
    open_model_source,
)
from lake.ml.serving.scorer import BaseScorer, Scorer
from lake.ml.serving.spark_scorer import SparkScorer

__all__ = [
    "CSV",
    "JSON",
    "MAX_BODY_BYTES",
    "ONNX_ARTIFACT_PATH",
    "BaseScorer",
    "Builder",
    "CaptureRecord",
    "CaptureSink",
    "Columns",
    "DataCapture",
    "DeltaCaptureSink",
    "EndpointServer",
    "ModelHolder",
    "ModelPackage",
    "ModelSource",
    "RegistryResolver",
    "RegistrySparkResolver",
    "Resolver",
    "Scorer",
    "SparkScorer",
    "capture_schema",
    "columns_from_records",
    "load_registered_export",
    "main",
    "onnx_builder",
    "open_model_source",
    "parse_body",
    "serve",
]

_SERVER = ("MAX_BODY_BYTES", "EndpointServer", "main", "serve")


def __getattr__(name: str) -> Any:
    # The server module is imported on first use, so ``python -m lake.ml.serving.server`` runs it fresh.
    if name in _SERVER:
        from lake.ml.serving import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
