"""Inference over the catalog: batch predict into registered Delta tables, monitoring inputs and outputs.

The ML library (``lake.ml.batch``, ``lake.ml.monitor``) is catalog-free; this package resolves
catalog names (through the SQL engine's resolver, so views expand to the Delta versions they
read), writes through the Delta table store and registers results with their lineage.
"""

from catalog.inference.errors import InferenceError, InputResolutionError, OutputTableError
from catalog.inference.inputs import ResolvedInput, resolve_input
from catalog.inference.predict import PredictOptions, PredictResult, app_id_for, run_batch_predict

__all__ = [
    "InferenceError",
    "InputResolutionError",
    "OutputTableError",
    "PredictOptions",
    "PredictResult",
    "ResolvedInput",
    "app_id_for",
    "resolve_input",
    "run_batch_predict",
]
