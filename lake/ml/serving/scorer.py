"""Scoring records with onnxruntime (the request path: no Spark) — and the response shape.

A response is ``{"predictions": [...], "probabilities": [[...], ...], "classes": [...],
"model": name, "version": v}``: ``predictions`` in the label space of Spark's final
``prediction`` column (labels mapped back when the pipeline maps them), ``probabilities`` per
record in ``classes`` order (classifiers that give probabilities only).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lake.ml.errors import ServingError
from lake.ml.export.feeds import build_feeds, decode_predictions, decode_probabilities
from lake.ml.export.onnx_export import OnnxExport
from lake.ml.export.signature import Signature
from lake.ml.serving.records import Columns, columns_from_records

__all__ = ["BaseScorer", "Scorer", "sample_record"]


class BaseScorer:
    """What every scorer offers: a signature, a model name and version, and ``score``."""

    kind = "base"
    signature: Signature
    name: str
    version: int | str

    def score(self, records: Sequence[Any], *, extra: str = "reject") -> dict[str, Any]:
        """Validate JSON-style records (objects or value lists) and score them."""
        return self.score_columns(columns_from_records(records, self.signature, extra=extra))

    def score_columns(self, columns: Columns) -> dict[str, Any]:
        raise NotImplementedError

    def warm_up(self) -> None:
        """Score one synthetic record so the first real request pays no first-call costs."""
        self.score([sample_record(self.signature)])

    def _response(self, predictions: list[Any], probabilities: list[list[float]] | None) -> dict[str, Any]:
        response: dict[str, Any] = {"predictions": predictions}
        if probabilities is not None:
            response["probabilities"] = probabilities
            if self.signature.classes is not None:
                response["classes"] = list(self.signature.classes)
        response["model"] = self.name
        response["version"] = self.version
        return response


def sample_record(signature: Signature) -> dict[str, Any]:
    """A valid record: the first category, or 0 / false / an empty string."""
    record: dict[str, Any] = {}
    for f in signature.fields:
        if f.is_string:
            record[f.name] = f.categories[0] if f.categories else ""
        elif f.type == "boolean":
            record[f.name] = False
        else:
            record[f.name] = 0 if f.is_integral else 0.0
    return record


class Scorer(BaseScorer):
    """An onnxruntime session over an exported model, plus its signature, name and version.

    One session serves all request threads (``run`` is thread-safe); each run uses
    ``threads`` intra-op threads (1: requests are tiny, concurrency comes from the threads).
    """

    kind = "onnx"

    def __init__(self, model_bytes: bytes, *, name: str, version: int | str, signature: Signature | None = None,
                 threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ServingError(f"model {name} version {version}: onnxruntime cannot load it: "
                               f"{str(exc).splitlines()[0]}") from exc
        self.signature = signature or OnnxExport.signature_of(model_bytes)
        self.name = name
        self.version = version
        inputs = {i.name for i in self.session.get_inputs()}
        missing = [f.onnx_name for f in self.signature.fields if (f.onnx_name or f.name) not in inputs]
        if missing:
            raise ServingError(f"model {name} version {version}: the signature names inputs the graph lacks: "
                               f"{', '.join(missing)}")
        outputs = {o.name for o in self.session.get_outputs()}
        self._outputs = ["prediction"] + (["probability"] if self.signature.probability else [])
        if not set(self._outputs) <= outputs:
            raise ServingError(f"model {name} version {version}: the graph lacks outputs "
                               f"{sorted(set(self._outputs) - outputs)}")

    def score_columns(self, columns: Columns) -> dict[str, Any]:
        outputs = self.session.run(self._outputs, build_feeds(self.signature, columns.values))
        probabilities = decode_probabilities(outputs[1]) if self.signature.probability else None
        return self._response(decode_predictions(self.signature, outputs[0]), probabilities)
