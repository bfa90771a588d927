"""Feature importance (trees, XGBoost) or coefficients (linear models) of a fitted pipeline's model.

The values are per slot of the assembled ``features`` vector; :attr:`PrepReport.feature_names`
names them (``column`` or ``column=value`` for one-hot slots, ``pc1…`` after PCA).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Importance", "model_importance"]


@dataclass(frozen=True)
class Importance:
    """Named values and whether they are importances or signed coefficients."""

    kind: str  # "importance" | "coefficient"
    names: list[str]
    values: list[float]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "features": dict(zip(self.names, self.values, strict=True))}


def model_importance(model: Any, names: Sequence[str] | None) -> Importance | None:
    """The importance or coefficients of the last model stage of ``model`` (``None``: it has neither)."""
    stage = _model_stage(model)
    if stage is None:
        return None
    kind, values = _values(stage)
    if values is None:
        return None
    labels = list(names) if names is not None and len(names) == len(values) else [f"x{i}" for i in range(len(values))]
    return Importance(kind, labels, [float(v) for v in values])


def _model_stage(model: Any) -> Any:
    from lake.ml.export.stages import flatten_stages

    for stage in reversed(flatten_stages(model)):
        if any(hasattr(stage, a) for a in ("featureImportances", "coefficients", "get_feature_importances")):
            return stage
    return None


def _values(stage: Any) -> tuple[str, Sequence[float] | None]:
    if hasattr(stage, "featureImportances"):
        return "importance", np.asarray(stage.featureImportances.toArray(), dtype=float).tolist()
    if hasattr(stage, "get_feature_importances"):  # xgboost.spark: {"f0": gain, …}, absent slots unused
        scores = stage.get_feature_importances(importance_type="gain")
        size = int(stage.get_booster().num_features())
        total = sum(scores.values()) or 1.0
        return "importance", [float(scores.get(f"f{i}", 0.0)) / total for i in range(size)]
    try:
        return "coefficient", np.asarray(stage.coefficients.toArray(), dtype=float).tolist()
    except Exception:  # a multinomial logistic regression has a coefficient matrix: largest |value| per slot
        matrix = getattr(stage, "coefficientMatrix", None)
        if matrix is None:
            return "coefficient", None
        dense = np.asarray(matrix.toArray(), dtype=float)
        return "coefficient", np.abs(dense).max(axis=0).tolist()
