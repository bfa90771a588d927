"""SageMaker-Model-Monitor-style monitoring: a training baseline, drift checks, model quality, reports.

Catalog-free: it takes DataFrames and a :class:`Baseline`, and returns results; the CLI and the
job resolve names, write ``ml.monitor_violations`` through the table store and log files::

    baseline = build_baseline(train_df, features, label="heart_disease", training_metrics=test_metrics)
    baseline.to_files(tmp)                       # statistics.json, constraints.json, baseline.json
    result = run_monitor(Baseline.from_files(tmp), current_df, model="heart", version=3)
    result.violations_arrow()                    # rows for ml.monitor_violations (VIOLATIONS_SCHEMA)
    write_report(result, out_dir)                # plots + self-contained report.html

Thresholds and what flags a violation: :mod:`lake.ml.monitor.thresholds`.
"""

from __future__ import annotations

import importlib
from typing import Any

from lake.ml.monitor.baseline import (
    BASELINE_ARTIFACT_PATH,
    BASELINE_FILE,
    CONSTRAINTS_FILE,
    STATISTICS_FILE,
    Baseline,
    BaselineColumn,
    BaselineInfo,
    build_baseline,
    infer_task,
)
from lake.ml.monitor.drift import NEW_VALUES_BUCKET, FeatureDrift
from lake.ml.monitor.errors import (
    BaselineError,
    BaselineFileError,
    MonitorError,
    MonitorInputError,
    ThresholdValueError,
)
from lake.ml.monitor.quality import ModelQuality, check_model_quality, join_ground_truth
from lake.ml.monitor.run import RESULT_FILE, VIOLATIONS_FILE, MonitorResult, run_monitor
from lake.ml.monitor.thresholds import MonitorThresholds
from lake.ml.monitor.violations import CHECK_TYPES, DRIFT_METRICS_SCHEMA, VIOLATIONS_SCHEMA, Violation

__all__ = [
    "BASELINE_ARTIFACT_PATH",
    "BASELINE_FILE",
    "CHECK_TYPES",
    "CONSTRAINTS_FILE",
    "DRIFT_METRICS_SCHEMA",
    "NEW_VALUES_BUCKET",
    "REPORT_FILE",
    "RESULT_FILE",
    "STATISTICS_FILE",
    "VIOLATIONS_FILE",
    "VIOLATIONS_SCHEMA",
    "Baseline",
    "BaselineColumn",
    "BaselineError",
    "BaselineFileError",
    "BaselineInfo",
    "FeatureDrift",
    "ModelQuality",
    "MonitorError",
    "MonitorInputError",
    "MonitorResult",
    "MonitorThresholds",
    "ThresholdValueError",
    "Violation",
    "build_baseline",
    "check_model_quality",
    "infer_task",
    "join_ground_truth",
    "run_monitor",
    "write_report",
]

_LAZY = {"write_report": "lake.ml.monitor.report", "REPORT_FILE": "lake.ml.monitor.report"}


def __getattr__(name: str) -> Any:
    """The report (matplotlib) is imported on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lake.ml.monitor' has no attribute {name!r}")
