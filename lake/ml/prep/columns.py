"""Column names the prepared pipeline reads and adds (internal ones start with ``_lf_``)."""

from __future__ import annotations

__all__ = [
    "FEATURES",
    "LABEL_INDEX",
    "PREDICTION",
    "PREDICTION_INDEX",
    "PROBABILITY",
    "RAW_PREDICTION",
    "VALIDATION_INDICATOR",
    "WEIGHT",
    "internal",
    "quote",
]

FEATURES = "features"
PREDICTION = "prediction"
PROBABILITY = "probability"
RAW_PREDICTION = "rawPrediction"
LABEL_INDEX = "label_index"
PREDICTION_INDEX = "prediction_index"
WEIGHT = "_lf_weight"
VALIDATION_INDICATOR = "_lf_is_validation"


def internal(step: str, column: str) -> str:
    """The name of an intermediate column: ``_lf_<step>_<column>``."""
    return f"_lf_{step}_{column}"


def quote(column: str) -> str:
    """``column`` quoted for Spark SQL."""
    return "`" + column.replace("`", "``") + "`"
