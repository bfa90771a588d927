"""Monitoring thresholds: SageMaker's ``monitoring_config`` plus the few lakeforge adds.

Defaults and what they mean (a violation is raised when the condition holds):

- ``datatype_check_threshold`` 1.0: share of a feature's present values that must have the
  baseline type (SageMaker's "Expected match"); below it → ``data_type_check``.
- ``domain_content_threshold`` 1.0: share of a categorical feature's present values that must
  lie in the baseline domain; below it → ``categorical_values_check``.
- ``completeness_tolerance`` 0.02: completeness may fall this much (absolute) below the
  baseline's before ``completeness_check`` fires (SageMaker compares exactly, which flags
  sampling noise on a feature with any missing values).
- ``comparison_threshold`` 0.1: the numeric drift distance, the L-infinity distance between
  the baseline and current CDFs (= the two-sample Kolmogorov-Smirnov statistic).
- ``categorical_comparison_threshold`` 0.1: the categorical drift distance, the L-infinity
  distance between category shares.
- ``psi_threshold`` 0.2: population stability index over the baseline's deciles (numeric) or
  categories; 0.1-0.2 is the customary "moderate", above 0.2 "significant" shift.
- ``comparison_method`` "Robust": a distance (or PSI) above its threshold is flagged only when
  the shift is also significant (KS or chi-square p-value < ``significance``, 0.01), so small
  samples do not flag noise and big samples do not flag trivia. "Simple" drops the test.
- ``categorical_drift_method`` "LInfinity" (as above) or "ChiSquared": the chi-square p-value
  alone decides (sensitive on big samples).
- ``min_drift_rows`` 30: fewer current values than this → drift is not assessed (noted).
- ``quality_max_drop`` 0.05: a greater-is-better metric (AUC, accuracy) may fall this much
  (absolute) below the training test value; ``quality_max_increase`` 0.10: a lower-is-better
  metric (RMSE) may rise by this fraction; ``min_quality_rows`` 100 labelled rows needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from lake.ml.monitor.errors import ThresholdValueError

__all__ = ["CATEGORICAL_DRIFT_METHODS", "COMPARISON_METHODS", "MonitorThresholds"]

COMPARISON_METHODS = ("Robust", "Simple")
CATEGORICAL_DRIFT_METHODS = ("LInfinity", "ChiSquared")
_SAGEMAKER_TOP = ("datatype_check_threshold", "domain_content_threshold")
_SAGEMAKER_DISTRIBUTION = (
    "comparison_threshold",
    "comparison_method",
    "categorical_comparison_threshold",
    "categorical_drift_method",
)
_FRACTIONS = (
    "datatype_check_threshold",
    "domain_content_threshold",
    "completeness_tolerance",
    "comparison_threshold",
    "categorical_comparison_threshold",
    "quality_max_drop",
)


@dataclass(frozen=True)
class MonitorThresholds:
    """When a monitoring run raises a violation; see the module docstring for each field."""

    datatype_check_threshold: float = 1.0
    domain_content_threshold: float = 1.0
    completeness_tolerance: float = 0.02
    comparison_threshold: float = 0.1
    comparison_method: str = "Robust"
    categorical_comparison_threshold: float = 0.1
    categorical_drift_method: str = "LInfinity"
    psi_threshold: float = 0.2
    significance: float = 0.01
    min_drift_rows: int = 30
    quality_max_drop: float = 0.05
    quality_max_increase: float = 0.10
    min_quality_rows: int = 100
    perform_comparison: bool = True

    def __post_init__(self) -> None:
        for name in _FRACTIONS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                raise ThresholdValueError(option=name, value=value, expected="a number in [0, 1]")
        for name in ("psi_threshold", "quality_max_increase"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ThresholdValueError(option=name, value=value, expected="a number >= 0")
        if not isinstance(self.significance, int | float) or not 0.0 < self.significance < 1.0:
            raise ThresholdValueError(option="significance", value=self.significance, expected="a p-value in (0, 1)")
        for name in ("min_drift_rows", "min_quality_rows"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ThresholdValueError(option=name, value=value, expected="an integer >= 1")
        if self.comparison_method not in COMPARISON_METHODS:
            raise ThresholdValueError(
                option="comparison_method", value=self.comparison_method, expected=" or ".join(COMPARISON_METHODS)
            )
        if self.categorical_drift_method not in CATEGORICAL_DRIFT_METHODS:
            raise ThresholdValueError(
                option="categorical_drift_method",
                value=self.categorical_drift_method,
                expected=" or ".join(CATEGORICAL_DRIFT_METHODS),
            )

    @property
    def robust(self) -> bool:
        return self.comparison_method == "Robust"

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> MonitorThresholds:
        """These thresholds with known keys of ``overrides`` applied (e.g. a feature's
        ``monitoringConfigOverrides``); unknown keys are an error listing the valid ones."""
        if not overrides:
            return self
        known = {f.name for f in fields(self)}
        flat = dict(overrides)
        flat.update(flat.pop("distribution_constraints", None) or {})
        unknown = sorted(set(flat) - known)
        if unknown:
            raise ThresholdValueError(option=unknown[0], value=flat[unknown[0]], expected=f"one of {sorted(known)}")
        if "perform_comparison" in flat:
            flat["perform_comparison"] = _enabled(flat["perform_comparison"])
        return replace(self, **flat)

    def to_monitoring_config(self) -> dict[str, Any]:
        """SageMaker's ``monitoring_config`` object, the lakeforge extras under ``lakeforge``."""
        values = asdict(self)
        extras = {
            k: v for k, v in values.items()
            if k not in _SAGEMAKER_TOP and k not in _SAGEMAKER_DISTRIBUTION and k != "perform_comparison"
        }
        return {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": self.datatype_check_threshold,
            "domain_content_threshold": self.domain_content_threshold,
            "distribution_constraints": {
                "perform_comparison": "Enabled" if self.perform_comparison else "Disabled",
                **{k: values[k] for k in _SAGEMAKER_DISTRIBUTION},
            },
            "lakeforge": extras,
        }

    @classmethod
    def from_monitoring_config(cls, config: Mapping[str, Any] | None) -> MonitorThresholds:
        """The inverse of :meth:`to_monitoring_config` (missing keys keep their defaults)."""
        if not config:
            return cls()
        values: dict[str, Any] = {k: config[k] for k in _SAGEMAKER_TOP if k in config}
        distribution = dict(config.get("distribution_constraints") or {})
        if "perform_comparison" in distribution:
            values["perform_comparison"] = _enabled(distribution.pop("perform_comparison"))
        values.update({k: distribution[k] for k in _SAGEMAKER_DISTRIBUTION if k in distribution})
        known = {f.name for f in fields(cls)}
        values.update({k: v for k, v in dict(config.get("lakeforge") or {}).items() if k in known})
        return cls(**values)


def _enabled(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("enabled", "disabled"):
        return value.strip().lower() == "enabled"
    raise ThresholdValueError(option="perform_comparison", value=value, expected="Enabled or Disabled")
