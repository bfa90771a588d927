"""Violations as SageMaker's ``constraint_violations.json`` has them, and the Delta table rows.

Check types are Model Monitor's (``data_type_check``, ``completeness_check``,
``baseline_drift_check``, ``missing_column_check``, ``extra_column_check``,
``categorical_values_check``) plus ``non_negative_check`` (the ``is_non_negative``
constraint) and ``model_quality_check`` (model-quality drift against the training metric).
:data:`VIOLATIONS_SCHEMA` is the schema of ``ml.monitor_violations`` (one row per violation),
:data:`DRIFT_METRICS_SCHEMA` that of an optional ``ml.monitor_metrics`` (one row per column
per run, violations or not, so a quiet run leaves a trace too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

__all__ = [
    "BASELINE_DRIFT",
    "CATEGORICAL_VALUES",
    "CHECK_TYPES",
    "COMPLETENESS",
    "DATA_TYPE",
    "DRIFT_METRICS_SCHEMA",
    "EXTRA_COLUMN",
    "MISSING_COLUMN",
    "MODEL_QUALITY",
    "NON_NEGATIVE",
    "VIOLATIONS_SCHEMA",
    "Violation",
]

DATA_TYPE = "data_type_check"
COMPLETENESS = "completeness_check"
BASELINE_DRIFT = "baseline_drift_check"
MISSING_COLUMN = "missing_column_check"
EXTRA_COLUMN = "extra_column_check"
CATEGORICAL_VALUES = "categorical_values_check"
NON_NEGATIVE = "non_negative_check"
MODEL_QUALITY = "model_quality_check"
CHECK_TYPES = (
    DATA_TYPE, COMPLETENESS, BASELINE_DRIFT, MISSING_COLUMN, EXTRA_COLUMN, CATEGORICAL_VALUES, NON_NEGATIVE,
    MODEL_QUALITY,
)

_TIMESTAMP = pa.timestamp("us", tz="UTC")
VIOLATIONS_SCHEMA = pa.schema([
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("model", pa.string()),
    pa.field("version", pa.string()),
    pa.field("feature", pa.string(), nullable=False),
    pa.field("check_type", pa.string(), nullable=False),
    pa.field("description", pa.string(), nullable=False),
    pa.field("metric", pa.string()),
    pa.field("value", pa.float64()),
    pa.field("threshold", pa.float64()),
    pa.field("baseline_value", pa.float64()),
    pa.field("psi", pa.float64()),
    pa.field("ks_statistic", pa.float64()),
    pa.field("ks_pvalue", pa.float64()),
    pa.field("chi_square", pa.float64()),
    pa.field("chi_square_pvalue", pa.float64()),
    pa.field("current_rows", pa.int64()),
    pa.field("created_at", _TIMESTAMP, nullable=False),
])

DRIFT_METRICS_SCHEMA = pa.schema([
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("model", pa.string()),
    pa.field("version", pa.string()),
    pa.field("feature", pa.string(), nullable=False),
    pa.field("role", pa.string(), nullable=False),
    pa.field("kind", pa.string(), nullable=False),
    pa.field("baseline_count", pa.int64()),
    pa.field("current_count", pa.int64()),
    pa.field("completeness_baseline", pa.float64()),
    pa.field("completeness_current", pa.float64()),
    pa.field("type_match", pa.float64()),
    pa.field("psi", pa.float64()),
    pa.field("ks_statistic", pa.float64()),
    pa.field("ks_pvalue", pa.float64()),
    pa.field("linf_distance", pa.float64()),
    pa.field("chi_square", pa.float64()),
    pa.field("chi_square_pvalue", pa.float64()),
    pa.field("new_value_share", pa.float64()),
    pa.field("baseline_mean", pa.float64()),
    pa.field("current_mean", pa.float64()),
    pa.field("drifted", pa.bool_(), nullable=False),
    pa.field("violations", pa.int32(), nullable=False),
    pa.field("created_at", _TIMESTAMP, nullable=False),
])


@dataclass(frozen=True)
class Violation:
    """One violated constraint; ``metric``/``value``/``threshold`` hold the numbers it was decided on."""

    feature_name: str
    constraint_check_type: str
    description: str
    metric: str | None = None
    value: float | None = None
    threshold: float | None = None
    baseline_value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """SageMaker's entry (``feature_name``, ``constraint_check_type``, ``description``), plus
        ``metric_name`` and the numbers when there are any."""
        out: dict[str, Any] = {
            "feature_name": self.feature_name,
            "constraint_check_type": self.constraint_check_type,
            "description": self.description,
        }
        if self.metric is not None:
            out["metric_name"] = self.metric
        for name in ("value", "threshold", "baseline_value"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out
