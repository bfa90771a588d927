"""The slow path: scoring through Spark for models that cannot be exported to ONNX.

Each request becomes a small DataFrame (``createDataFrame`` → ``transform`` → ``collect``),
which costs hundreds of milliseconds per request on a local session — orders of magnitude
slower than :class:`~lake.ml.serving.scorer.Scorer`. Use it only when asked (``--spark``).
Requests are validated against the same signature, and the response has the same shape.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lake.ml.errors import ServingError
from lake.ml.export.onnx_export import pipeline_signature
from lake.ml.export.signature import Signature
from lake.ml.serving.records import Columns
from lake.ml.serving.scorer import BaseScorer

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

__all__ = ["SparkScorer"]


def _quote(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


class SparkScorer(BaseScorer):
    """A fitted ``PipelineModel`` and a SparkSession behind the :class:`BaseScorer` interface."""

    kind = "spark"

    def __init__(self, pipeline_model: Any, spark: SparkSession, *, name: str, version: int | str,
                 signature: Signature) -> None:
        self.pipeline_model = pipeline_model
        self.spark = spark
        self.signature = signature
        self.name = name
        self.version = version
        self._schema = signature.spark_schema()
        self._lock = threading.Lock()

    @classmethod
    def for_pipeline(cls, pipeline_model: Any, spark: SparkSession, schema: StructType, *, name: str,
                     version: int | str, input_columns: Sequence[str] | None = None) -> SparkScorer:
        """A scorer whose signature is derived from the pipeline and the training data's ``schema``."""
        return cls(pipeline_model, spark, name=name, version=version,
                   signature=pipeline_signature(pipeline_model, schema, input_columns))

    def score_columns(self, columns: Columns) -> dict[str, Any]:
        names = list(self.signature.names)
        rows = list(zip(*[columns.values[n] for n in names], strict=True))
        wanted = [self.signature.prediction_column]
        if self.signature.probability and self.signature.probability_column:
            wanted.append(self.signature.probability_column)
        try:
            with self._lock:  # one Spark job at a time: concurrent tiny jobs only contend for the same cores
                frame = self.spark.createDataFrame(rows, self._schema)
                scored = self.pipeline_model.transform(frame).select(*[_quote(c) for c in wanted]).collect()
        except Exception as exc:
            raise ServingError(f"Spark could not score the request: {str(exc).splitlines()[0]}") from exc
        predictions = [_prediction(r[0], self.signature.prediction_type) for r in scored]
        probabilities = None
        if len(wanted) > 1:
            probabilities = [[float(x) for x in r[1].toArray()] for r in scored]
        return self._response(predictions, probabilities)


def _prediction(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "vector":
        return [float(x) for x in value.toArray()]
    if kind == "string":
        return str(value)
    if kind == "long":
        return int(value)
    return float(value)
