"""Between Python values and ONNX tensors: input feeds from validated columns, outputs back to JSON values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lake.ml.export.signature import NULL_STRING, Field, Signature

__all__ = ["build_feeds", "column_feed", "decode_predictions", "decode_probabilities"]


def column_feed(field: Field, values: Sequence[Any]) -> np.ndarray:
    """One input tensor ``[N, 1]``: numbers and booleans as double (None → NaN), strings (None → null sentinel)."""
    if field.is_string:
        return np.array([NULL_STRING if v is None else v for v in values], dtype=object).reshape(-1, 1)
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64).reshape(-1, 1)


def build_feeds(signature: Signature, columns: Mapping[str, Sequence[Any]]) -> dict[str, np.ndarray]:
    """The ONNX feed of every signature field from ``columns`` (field name → values)."""
    return {f.onnx_name or f.name: column_feed(f, columns[f.name]) for f in signature.fields}


def _floats(values: np.ndarray) -> list[Any]:
    """``values.tolist()`` with NaN and infinities as None (JSON has no NaN)."""
    array = np.asarray(values, dtype=np.float64)
    if np.isfinite(array).all():
        return array.tolist()
    cleaned = array.astype(object)
    cleaned[~np.isfinite(array)] = None
    return cleaned.tolist()


def decode_predictions(signature: Signature, values: np.ndarray) -> list[Any]:
    """Predictions as JSON values: floats, label strings, cluster ints, or lists for vectors (NaN → None)."""
    if signature.prediction_type == "vector":
        return _floats(values)
    if signature.prediction_type == "string":
        return [str(v) for v in np.asarray(values).reshape(-1)]
    if signature.prediction_type == "long":
        return [int(v) for v in np.asarray(values).reshape(-1)]
    return _floats(np.asarray(values).reshape(-1))


def decode_probabilities(values: np.ndarray) -> list[list[Any]]:
    return _floats(values)
