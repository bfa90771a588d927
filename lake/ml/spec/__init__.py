"""The training spec (TOML): parsed into frozen dataclasses and validated before any Spark work.

``load_spec(path, overrides)`` reads a file and applies ``key=value`` overrides;
``TrainSpec.from_mapping(table)`` parses a table; ``validate_against(spec, df)`` then checks the
spec against the data in one aggregate pass. Errors are :class:`~lake.ml.errors.SpecError`
(naming the key path and the valid values) and :class:`~lake.ml.errors.DataError` (naming the
column).
"""

from __future__ import annotations

from lake.ml.algorithms import TASKS
from lake.ml.spec.data import OUTPUT_COLUMNS, RESERVED_PREFIX, DataCheck, feature_columns, validate_against
from lake.ml.spec.model import EvaluateSpec, ModelSpec, PrepSpec, SplitSpec, TrainSpec, TuneSpec
from lake.ml.spec.parse import DEFAULT_METRICS, IMPUTE_STRATEGIES, apply_overrides, load_spec, parse_spec

__all__ = [
    "DEFAULT_METRICS",
    "IMPUTE_STRATEGIES",
    "OUTPUT_COLUMNS",
    "RESERVED_PREFIX",
    "TASKS",
    "DataCheck",
    "EvaluateSpec",
    "ModelSpec",
    "PrepSpec",
    "SplitSpec",
    "TrainSpec",
    "TuneSpec",
    "apply_overrides",
    "feature_columns",
    "load_spec",
    "parse_spec",
    "validate_against",
]
