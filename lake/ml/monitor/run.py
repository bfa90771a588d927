"""One monitoring run: current data against a baseline → drift metrics, violations, model quality.

The data-quality part reads the current data in two Spark passes whatever the number of
columns; model quality adds one count and one collect of (label, score, prediction).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lake.ml.monitor.baseline import Baseline, feature_statistics
from lake.ml.monitor.drift import FeatureDrift, check_column, current_type
from lake.ml.monitor.errors import MonitorInputError
from lake.ml.monitor.profile import MAX_CATEGORIES, profile_columns
from lake.ml.monitor.quality import ModelQuality, check_model_quality
from lake.ml.monitor.thresholds import MonitorThresholds
from lake.ml.monitor.violations import (
    DRIFT_METRICS_SCHEMA,
    EXTRA_COLUMN,
    MISSING_COLUMN,
    VIOLATIONS_SCHEMA,
    Violation,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["RESULT_FILE", "VIOLATIONS_FILE", "MonitorResult", "run_monitor"]

VIOLATIONS_FILE = "constraint_violations.json"
CURRENT_STATISTICS_FILE = "statistics.json"
RESULT_FILE = "monitor_result.json"


@dataclass
class MonitorResult:
    """What a monitoring run found; ``statistics`` is the current data's ``statistics.json``."""

    run_id: str
    created_at: datetime
    model: str | None
    version: str | None
    baseline_rows: int
    current_rows: int
    features: list[FeatureDrift]
    violations: list[Violation]
    model_quality: ModelQuality | None
    statistics: dict[str, Any]
    thresholds: MonitorThresholds
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def has_violations(self) -> bool:
        return bool(self.violations)

    @property
    def drifted_features(self) -> list[str]:
        """Columns with a ``baseline_drift_check`` violation."""
        return [f.feature for f in self.features if f.drifted]

    def feature(self, name: str) -> FeatureDrift:
        for item in self.features:
            if item.feature == name:
                return item
        raise KeyError(f"no drift metrics for {name!r}; monitored: {[f.feature for f in self.features]}")

    def violations_of(self, check_type: str) -> list[Violation]:
        return [v for v in self.violations if v.constraint_check_type == check_type]

    def constraint_violations(self) -> dict[str, Any]:
        """SageMaker's ``constraint_violations.json`` object."""
        return {"violations": [v.to_dict() for v in self.violations]}

    def violations_arrow(self) -> pa.Table:
        """One row per violation in :data:`VIOLATIONS_SCHEMA` (the ``ml.monitor_violations`` table)."""
        by_feature = {f.feature: f for f in self.features}
        rows = []
        for v in self.violations:
            drift = by_feature.get(v.feature_name)
            rows.append({
                "run_id": self.run_id,
                "model": self.model,
                "version": self.version,
                "feature": v.feature_name,
                "check_type": v.constraint_check_type,
                "description": v.description,
                "metric": v.metric,
                "value": v.value,
                "threshold": v.threshold,
                "baseline_value": v.baseline_value,
                "psi": drift.psi if drift else None,
                "ks_statistic": drift.ks_statistic if drift else None,
                "ks_pvalue": drift.ks_pvalue if drift else None,
                "chi_square": drift.chi_square if drift else None,
                "chi_square_pvalue": drift.chi_square_pvalue if drift else None,
                "current_rows": self.current_rows,
                "created_at": self.created_at,
            })
        return pa.Table.from_pylist(rows, schema=VIOLATIONS_SCHEMA)

    def drift_metrics_arrow(self) -> pa.Table:
        """One row per monitored column in :data:`DRIFT_METRICS_SCHEMA` (an ``ml.monitor_metrics`` table)."""
        counts: dict[str, int] = {}
        for v in self.violations:
            counts[v.feature_name] = counts.get(v.feature_name, 0) + 1
        rows = [
            {
                "run_id": self.run_id, "model": self.model, "version": self.version,
                "feature": f.feature, "role": f.role, "kind": f.kind,
                "baseline_count": f.baseline_count, "current_count": f.current_count,
                "completeness_baseline": f.completeness_baseline, "completeness_current": f.completeness_current,
                "type_match": f.type_match, "psi": f.psi, "ks_statistic": f.ks_statistic,
                "ks_pvalue": f.ks_pvalue, "linf_distance": f.linf_distance, "chi_square": f.chi_square,
                "chi_square_pvalue": f.chi_square_pvalue, "new_value_share": f.new_value_share,
                "baseline_mean": f.baseline_mean, "current_mean": f.current_mean,
                "drifted": f.drifted, "violations": counts.get(f.feature, 0), "created_at": self.created_at,
            }
            for f in self.features
        ]
        return pa.Table.from_pylist(rows, schema=DRIFT_METRICS_SCHEMA)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (for ``--json`` and ``monitor_result.json``)."""
        return {
            "run_id": self.run_id,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "model": self.model,
            "version": self.version,
            "baseline_rows": self.baseline_rows,
            "current_rows": self.current_rows,
            "has_violations": self.has_violations,
            "drifted_features": self.drifted_features,
            "missing_columns": self.missing_columns,
            "extra_columns": self.extra_columns,
            "violations": [v.to_dict() for v in self.violations],
            "features": [f.to_dict() for f in self.features],
            "model_quality": self.model_quality.to_dict() if self.model_quality else None,
            "thresholds": asdict(self.thresholds),
            "notes": self.notes,
        }

    def to_files(self, directory: str | Path) -> list[Path]:
        """Write ``constraint_violations.json``, the current ``statistics.json`` and ``monitor_result.json``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in (
            (VIOLATIONS_FILE, self.constraint_violations()),
            (CURRENT_STATISTICS_FILE, self.statistics),
            (RESULT_FILE, self.to_dict()),
        ):
            path = out / name
            text = json.dumps(_finite(data), indent=2, default=_json_default, allow_nan=False)
            path.write_text(text + "\n", encoding="utf-8")
            written.append(path)
        return written


def run_monitor(
    baseline: Baseline,
    current: DataFrame,
    *,
    features: Sequence[str] | None = None,
    label: str | None = None,
    prediction: str | None = None,
    probability: str | None = None,
    task: str | None = None,
    training_metric: float | Mapping[str, float] | None = None,
    quality_metric: str | None = None,
    thresholds: MonitorThresholds | None = None,
    ignore_columns: Sequence[str] = (),
    model: str | None = None,
    version: str | int | None = None,
    run_id: str | None = None,
    max_categories: int = MAX_CATEGORIES,
) -> MonitorResult:
    """Check ``current`` against ``baseline``: data quality always, model quality when labels are there.

    ``features`` defaults to the baseline's. The label and prediction columns default to the
    baseline's when ``current`` has them; model quality runs when ``current`` has the label
    and a prediction or ``probability`` column (join late ground truth first, e.g. with
    :func:`~lake.ml.monitor.quality.join_ground_truth`). ``training_metric`` defaults to the
    training metrics stored in the baseline; ``thresholds`` to those in its constraints.
    Columns of ``current`` the training data did not have are ``extra_column_check``
    violations unless listed in ``ignore_columns`` (e.g. capture metadata).
    """
    limits = thresholds or baseline.thresholds
    columns = list(current.columns)
    chosen = list(features) if features is not None else baseline.features
    unknown = [f for f in chosen if f not in baseline.columns]
    if unknown:
        raise MonitorInputError(
            problem=f"features {unknown} are not in the baseline; its features: {baseline.features}"
        )
    label = label or (baseline.label if baseline.label in columns else None)
    prediction = prediction or (baseline.prediction if baseline.prediction in columns else None)
    for role, name in (("label", label), ("prediction", prediction), ("probability", probability)):
        if name is not None and name not in columns:
            raise MonitorInputError(problem=f"the {role} column {name!r} is not in the current data")
    notes: list[str] = []
    violations: list[Violation] = []

    missing = [f for f in chosen if f not in columns]
    for name in missing:
        violations.append(Violation(
            name, MISSING_COLUMN,
            f"There are missing columns in current dataset: {name!r} is not among its {len(columns)} columns "
            f"(baseline features: {len(chosen)})",
        ))
    known = set(baseline.info.columns or baseline.info.monitored)
    skip = {*ignore_columns, *(c for c in (label, prediction, probability) if c)}
    extra = [c for c in columns if c not in known and c not in skip]
    types = {f.name: f.dataType.simpleString() for f in current.schema.fields}
    for name in extra:
        violations.append(Violation(
            name, EXTRA_COLUMN,
            f"There are extra columns in current dataset: {name!r} ({types[name]}) was not in the baseline "
            f"dataset ({len(columns)} columns now, {len(known)} in the baseline)",
        ))

    monitored = [f for f in chosen if f in columns]
    for name in (label, prediction):
        if name and name in baseline.columns and name not in monitored:
            monitored.append(name)
    specs = [baseline.columns[name].spec() for name in monitored]
    if specs:
        rows, profiles = profile_columns(current, specs, sketch=False, max_categories=max_categories)
    else:
        rows, profiles = current.count(), {}
        notes.append("no baseline feature is in the current data: distributions not compared")

    drifts: list[FeatureDrift] = []
    stats_features = []
    for name in monitored:
        drift, found = check_column(baseline.columns[name], profiles[name], limits)
        drifts.append(drift)
        violations += found
        stats_features.append(feature_statistics(profiles[name], current_type(profiles[name])))

    quality = None
    if label and (prediction or probability):
        chosen_task = task or baseline.task
        if chosen_task is None:
            raise MonitorInputError(problem="model quality needs the task: pass task= (the baseline records none)")
        quality, quality_violation = check_model_quality(
            current, task=chosen_task, label=label, prediction=prediction, probability=probability,
            training_metric=training_metric if training_metric is not None else baseline.info.training_metrics,
            metric=quality_metric, thresholds=limits,
        )
        if quality_violation is not None:
            violations.append(quality_violation)
    elif label:
        notes.append(f"label {label!r} present but no prediction or probability column: model quality not assessed")

    return MonitorResult(
        run_id=run_id or uuid.uuid4().hex,
        created_at=datetime.now(UTC),
        model=model,
        version=None if version is None else str(version),
        baseline_rows=baseline.item_count,
        current_rows=rows,
        features=drifts,
        violations=violations,
        model_quality=quality,
        statistics={"version": 0.0, "dataset": {"item_count": rows}, "features": stats_features},
        thresholds=limits,
        missing_columns=missing,
        extra_columns=extra,
        notes=notes,
    )


def _finite(value: Any) -> Any:
    """``value`` with non-finite floats replaced by None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
