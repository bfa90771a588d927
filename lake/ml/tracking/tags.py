"""Tag keys lakeforge writes on MLflow runs and model versions (all under ``lakeforge.``)."""

from __future__ import annotations

__all__ = ["ERROR", "ERROR_TYPE", "LAKE", "MODEL", "MODEL_ID", "PROFILE", "SPLITS", "VERSION"]

MODEL = "lakeforge.model"  # run: the registered model it trains
LAKE = "lakeforge.lake"  # run and version: the lake that holds the artifacts
PROFILE = "lakeforge.profile"  # run: the storage profile used
SPLITS = "lakeforge.splits"  # run: splits whose metrics were logged as <split>_<metric>
VERSION = "lakeforge.version"  # run: the model version it registered
ERROR = "lakeforge.error"  # run: one-line error of a FAILED/KILLED run
ERROR_TYPE = "lakeforge.error_type"  # run: the error's class name
MODEL_ID = "lakeforge.model_id"  # version: the MLflow logged-model id
