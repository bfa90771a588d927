"""Machine learning on Spark MLlib: spec, prep, split, algorithms, tuning, evaluation, tracking.

The library is catalog-free: it takes DataFrames (plus a lineage record) and returns results.
Names below are imported lazily, so ``import lake.ml`` starts nothing and imports no Spark.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "ALGORITHMS",
    "DataCheck",
    "PrepReport",
    "Splits",
    "TrainOptions",
    "TrainProgress",
    "TrainResult",
    "TrainSpec",
    "TuneSpec",
    "build_pipeline",
    "get_algorithm",
    "load_spec",
    "split",
    "train",
    "validate_against",
    "with_validation_indicator",
]

_EXPORTS = {
    "ALGORITHMS": "lake.ml.algorithms",
    "get_algorithm": "lake.ml.algorithms",
    "DataCheck": "lake.ml.spec",
    "TrainSpec": "lake.ml.spec",
    "TuneSpec": "lake.ml.spec",
    "load_spec": "lake.ml.spec",
    "validate_against": "lake.ml.spec",
    "PrepReport": "lake.ml.prep",
    "build_pipeline": "lake.ml.prep",
    "with_validation_indicator": "lake.ml.prep",
    "Splits": "lake.ml.split",
    "split": "lake.ml.split",
    "train": "lake.ml.training",
    "TrainOptions": "lake.ml.training",
    "TrainProgress": "lake.ml.training",
    "TrainResult": "lake.ml.training",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'lake.ml' has no attribute {name!r}")
