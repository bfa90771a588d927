"""The training-time baseline: SageMaker Model Monitor's ``statistics.json`` and ``constraints.json``.

:func:`build_baseline` profiles the training (or test) DataFrame in two Spark passes
(:mod:`lake.ml.monitor.profile`) and writes the statistics and suggested constraints in
SageMaker's shapes, so a user who knows Model Monitor reads them as they are:

- ``statistics.json``: ``version``, ``dataset.item_count``, ``features[]`` with ``name``,
  ``inferred_type`` (Integral | Fractional | String), ``numerical_statistics`` (``common``
  {num_present, num_missing}, mean, sum, std_dev (population), min, max,
  ``distribution.kll``) or ``string_statistics`` (``common``, ``distinct_count``,
  ``distribution.categorical.buckets`` [{value, count}]).
- ``constraints.json``: ``version``, ``features[]`` with ``name``, ``inferred_type``,
  ``completeness``, ``num_constraints.is_non_negative``, ``string_constraints.domains``,
  ``monitoringConfigOverrides``; and ``monitoring_config`` (:class:`MonitorThresholds`).

``distribution.kll`` stands in for SageMaker's KLL sketch; it is *not* a KLL compactor state:
``buckets`` are SageMaker's ten equal-width buckets between min and max with exact counts;
``cdf`` holds exact cumulative counts (``count_le`` = values <= v, ``count_lt`` = values < v)
at up to 2,049 support ``values`` — every distinct value when there are at most 2,048
(``exact: true``; KS and PSI against it are then exact), otherwise the values at the
quantiles j/2048 from Spark's ``percentile_approx``; ``quantiles`` are the deciles, the PSI
bin edges. Booleans are categorical (String, values ``true``/``false``), as are columns
named in ``categorical``. A third file, ``baseline.json``, records the roles (features,
label, prediction), the task, the training dataset's columns and the training metrics.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from lake.ml.monitor.errors import BaselineError, BaselineFileError
from lake.ml.monitor.profile import (
    MAX_CATEGORIES,
    NUMERIC_FAMILIES,
    ColumnProfile,
    ColumnSpec,
    family_of,
    profile_columns,
)
from lake.ml.monitor.stats import DECILES, decile_edges
from lake.ml.monitor.thresholds import MonitorThresholds

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = [
    "BASELINE_ARTIFACT_PATH",
    "BASELINE_FILE",
    "CONSTRAINTS_FILE",
    "STATISTICS_FILE",
    "Baseline",
    "BaselineColumn",
    "BaselineInfo",
    "build_baseline",
    "feature_statistics",
    "infer_task",
]

STATISTICS_FILE = "statistics.json"
CONSTRAINTS_FILE = "constraints.json"
BASELINE_FILE = "baseline.json"
BASELINE_ARTIFACT_PATH = "monitor_baseline"  # where the train step logs the three files in the MLflow run
_FORMAT_VERSION = 1
_INFERRED = {"integral": "Integral", "fractional": "Fractional"}
_MULTICLASS_LIMIT = 20

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@dataclass(frozen=True)
class BaselineInfo:
    """What ``baseline.json`` records besides SageMaker's two files."""

    features: list[str]
    label: str | None = None
    prediction: str | None = None
    task: str | None = None
    families: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    training_metrics: dict[str, float] = field(default_factory=dict)
    created_at: str = ""
    format_version: int = _FORMAT_VERSION

    @property
    def monitored(self) -> list[str]:
        """Features, then the label and the prediction (each once)."""
        names = list(self.features)
        for extra in (self.label, self.prediction):
            if extra and extra not in names:
                names.append(extra)
        return names

    def role(self, name: str) -> str:
        if name in self.features:
            return "feature"
        return "label" if name == self.label else "prediction"


@dataclass(frozen=True)
class BaselineColumn:
    """One monitored column of a baseline, parsed from the two SageMaker files."""

    name: str
    role: str
    kind: str
    family: str
    inferred_type: str
    rows: int
    present: int
    completeness: float
    is_non_negative: bool | None
    overrides: dict[str, Any]
    mean: float | None = None
    min: float | None = None
    max: float | None = None
    points: Floats = field(default_factory=lambda: np.zeros(0))
    count_le: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    count_lt: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    exact: bool = False
    deciles: Floats = field(default_factory=lambda: np.zeros(0))
    categories: dict[str, int] = field(default_factory=dict)
    domain: frozenset[str] | None = None

    @property
    def numeric(self) -> bool:
        return self.kind == "numeric"

    @property
    def sample_size(self) -> int:
        """Values the distribution was computed from."""
        return int(self.count_le[-1]) if self.numeric and self.count_le.size else sum(self.categories.values())

    def spec(self) -> ColumnSpec:
        """How a monitoring run reads this column from current data."""
        return ColumnSpec(self.name, self.kind, self.family, tuple(self.points.tolist()), self.domain)


@dataclass(frozen=True)
class Baseline:
    """A model version's baseline: ``statistics``/``constraints`` (SageMaker shapes) and ``info``."""

    statistics: dict[str, Any]
    constraints: dict[str, Any]
    info: BaselineInfo

    @property
    def features(self) -> list[str]:
        return list(self.info.features)

    @property
    def label(self) -> str | None:
        return self.info.label

    @property
    def prediction(self) -> str | None:
        return self.info.prediction

    @property
    def item_count(self) -> int:
        return int(self.statistics["dataset"]["item_count"])

    @property
    def thresholds(self) -> MonitorThresholds:
        """The thresholds in ``constraints.json``'s ``monitoring_config``."""
        return MonitorThresholds.from_monitoring_config(self.constraints.get("monitoring_config"))

    @property
    def task(self) -> str | None:
        """The recorded task, else one inferred from the label's distribution (:func:`infer_task`)."""
        if self.info.task:
            return self.info.task
        if self.info.label and self.info.label in self.columns:
            return infer_task(self.columns[self.info.label])
        return None

    @cached_property
    def columns(self) -> dict[str, BaselineColumn]:
        """Every monitored column, parsed."""
        stats = {f["name"]: f for f in self.statistics.get("features", [])}
        cons = {f["name"]: f for f in self.constraints.get("features", [])}
        out: dict[str, BaselineColumn] = {}
        for name in self.info.monitored:
            if name not in stats or name not in cons:
                raise BaselineFileError(
                    path=name, reason=f"column {name!r} is missing from the statistics or constraints"
                )
            out[name] = _parse_column(name, self.info, stats[name], cons[name], self.item_count)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"statistics": self.statistics, "constraints": self.constraints, "baseline": asdict(self.info)}

    def to_files(self, directory: str | Path) -> list[Path]:
        """Write ``statistics.json``, ``constraints.json`` and ``baseline.json`` into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, data in (
            (STATISTICS_FILE, self.statistics),
            (CONSTRAINTS_FILE, self.constraints),
            (BASELINE_FILE, asdict(self.info)),
        ):
            path = out / name
            path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")
            paths.append(path)
        return paths

    @classmethod
    def from_files(cls, directory: str | Path) -> Baseline:
        """Read a baseline written by :meth:`to_files` (checks the shapes it relies on)."""
        root = Path(directory)
        loaded = {name: _read_json(root / name) for name in (STATISTICS_FILE, CONSTRAINTS_FILE, BASELINE_FILE)}
        raw_info = loaded[BASELINE_FILE]
        try:
            info = BaselineInfo(**raw_info)
        except TypeError as exc:
            raise BaselineFileError(path=str(root / BASELINE_FILE), reason=f"unexpected keys ({exc})") from exc
        if info.format_version > _FORMAT_VERSION:
            raise BaselineFileError(
                path=str(root / BASELINE_FILE),
                reason=f"format version {info.format_version} is newer than this lakeforge reads ({_FORMAT_VERSION})",
            )
        for name in (STATISTICS_FILE, CONSTRAINTS_FILE):
            if not isinstance(loaded[name].get("features"), list):
                raise BaselineFileError(path=str(root / name), reason="no 'features' list")
        if not isinstance(loaded[STATISTICS_FILE].get("dataset", {}).get("item_count"), int):
            raise BaselineFileError(path=str(root / STATISTICS_FILE), reason="no 'dataset.item_count'")
        baseline = cls(loaded[STATISTICS_FILE], loaded[CONSTRAINTS_FILE], info)
        try:
            _ = baseline.columns, baseline.thresholds
        except (KeyError, TypeError, ValueError) as exc:
            raise BaselineFileError(path=str(root), reason=f"malformed feature entry ({exc!r})") from exc
        return baseline


def build_baseline(
    df: DataFrame,
    features: Sequence[str],
    *,
    label: str | None = None,
    prediction: str | None = None,
    categorical: Sequence[str] | None = None,
    task: str | None = None,
    training_metrics: Mapping[str, float] | None = None,
    thresholds: MonitorThresholds | None = None,
    max_categories: int = MAX_CATEGORIES,
) -> Baseline:
    """Statistics and constraints of ``df``'s features (and label/prediction) in two Spark passes.

    ``categorical`` names numeric columns to treat as categories (codes); strings and booleans
    are categorical anyway. ``training_metrics`` (e.g. the test split's ``{"roc_auc": 0.91}``)
    are what model-quality monitoring compares with (non-finite ones are left out). A categorical
    column with more than ``max_categories`` distinct values gets no domain (no new-value or
    categorical drift check).
    """
    features = list(features)
    if not features:
        raise BaselineError(reason="no features given")
    duplicates = sorted({f for f in features if features.count(f) > 1})
    if duplicates:
        raise BaselineError(reason=f"features listed twice: {duplicates}")
    schema = {f.name: f.dataType for f in df.schema.fields}
    info = BaselineInfo(features=features, label=label, prediction=prediction)
    monitored = info.monitored
    missing = [c for c in monitored if c not in schema]
    if missing:
        raise BaselineError(
            column=missing[0], reason=f"not in the data; its columns are {sorted(schema)}"
        )
    forced = set(categorical or ())
    unknown = sorted(forced - set(monitored))
    if unknown:
        raise BaselineError(column=unknown[0], reason="listed as categorical but not a feature, label or prediction")
    specs = []
    families: dict[str, str] = {}
    for name in monitored:
        family = family_of(schema[name])
        if family is None:
            raise BaselineError(
                column=name,
                reason=f"type {schema[name].simpleString()} cannot be monitored; cast it to a number or string, "
                "or leave it out",
            )
        families[name] = family
        kind = "numeric" if family in NUMERIC_FAMILIES and name not in forced else "categorical"
        specs.append(ColumnSpec(name, kind, family))
    metrics = {str(k): float(v) for k, v in (training_metrics or {}).items() if math.isfinite(float(v))}
    rows, profiles = profile_columns(df, specs, sketch=True, max_categories=max_categories)
    if rows == 0:
        raise BaselineError(reason="the data has no rows")
    limits = thresholds or MonitorThresholds()
    info = BaselineInfo(
        features=features,
        label=label,
        prediction=prediction,
        task=task,
        families=families,
        columns={f.name: f.dataType.simpleString() for f in df.schema.fields},
        training_metrics=metrics,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    statistics = {
        "version": 0.0,
        "dataset": {"item_count": rows},
        "features": [feature_statistics(profiles[name]) for name in monitored],
    }
    constraints = {
        "version": 0.0,
        "features": [_feature_constraints(profiles[name]) for name in monitored],
        "monitoring_config": limits.to_monitoring_config(),
    }
    return Baseline(statistics, constraints, info)


def infer_task(label: BaselineColumn) -> str:
    """binary, multiclass or regression from the label's baseline distribution.

    Strings and booleans: binary with two values, else multiclass. Integers: binary when the
    values are 0/1, multiclass with at most 20 distinct non-negative values, else regression.
    Fractional: regression.
    """
    if not label.numeric:
        return "binary" if len(label.categories) <= 2 else "multiclass"
    if label.family == "fractional" or not label.exact:
        return "regression"
    values = set(label.points.tolist())
    if values <= {0.0, 1.0}:
        return "binary"
    if len(values) <= _MULTICLASS_LIMIT and min(values) >= 0:
        return "multiclass"
    return "regression"


def feature_statistics(profile: ColumnProfile, inferred_type: str | None = None) -> dict[str, Any]:
    """One ``features[]`` entry of ``statistics.json`` (also the current data's, read as the baseline
    reads it; ``inferred_type`` then says what the current column holds)."""
    spec = profile.spec
    common = {"num_present": profile.present, "num_missing": profile.rows - profile.present}
    if spec.numeric:
        num = profile.numeric
        assert num is not None
        deciles = decile_edges(num.points, num.count_le, num.count) if num.count else np.zeros(0)
        return {
            "name": spec.name,
            "inferred_type": inferred_type or _INFERRED.get(spec.family, "Fractional"),
            "numerical_statistics": {
                "common": common,
                "mean": _num(num.mean),
                "sum": _num(num.sum),
                "std_dev": _num(num.std_dev),
                "min": _num(num.min),
                "max": _num(num.max),
                "distribution": {
                    "kll": {
                        "buckets": [{"lower_bound": lo, "upper_bound": hi, "count": n} for lo, hi, n in num.buckets],
                        "quantiles": {"probabilities": list(DECILES), "values": _floats(deciles)},
                        "cdf": {
                            "exact": num.exact,
                            "values": _floats(num.points),
                            "count_le": [int(v) for v in num.count_le],
                            "count_lt": [int(v) for v in num.count_lt],
                        },
                    }
                },
            },
        }
    cat = profile.categorical
    assert cat is not None
    return {
        "name": spec.name,
        "inferred_type": inferred_type or "String",
        "string_statistics": {
            "common": common,
            "distinct_count": cat.distinct,
            "distribution": {
                "categorical": {"buckets": [{"value": v, "count": n} for v, n in cat.counts.items()]}
            },
        },
    }


def _feature_constraints(profile: ColumnProfile) -> dict[str, Any]:
    spec = profile.spec
    entry: dict[str, Any] = {
        "name": spec.name,
        "inferred_type": _INFERRED.get(spec.family, "Fractional") if spec.numeric else "String",
        "completeness": profile.present / profile.rows,
    }
    if spec.numeric:
        num = profile.numeric
        assert num is not None
        entry["num_constraints"] = {"is_non_negative": num.min is not None and num.min >= 0}
    else:
        cat = profile.categorical
        assert cat is not None
        if cat.complete:
            entry["string_constraints"] = {"domains": list(cat.counts)}
    entry["monitoringConfigOverrides"] = {}
    return entry


def _parse_column(
    name: str, info: BaselineInfo, stats: Mapping[str, Any], cons: Mapping[str, Any], rows: int
) -> BaselineColumn:
    inferred = stats["inferred_type"]
    common_key = "numerical_statistics" if "numerical_statistics" in stats else "string_statistics"
    block = stats[common_key]
    present = int(block["common"]["num_present"])
    family = info.families.get(name) or {"Integral": "integral", "Fractional": "fractional"}.get(inferred, "string")
    base: dict[str, Any] = {
        "name": name,
        "role": info.role(name),
        "family": family,
        "inferred_type": inferred,
        "rows": rows,
        "present": present,
        "completeness": float(cons.get("completeness", present / rows if rows else 0.0)),
        "is_non_negative": (cons.get("num_constraints") or {}).get("is_non_negative"),
        "overrides": dict(cons.get("monitoringConfigOverrides") or {}),
    }
    if common_key == "numerical_statistics":
        kll = block["distribution"]["kll"]
        cdf = kll["cdf"]
        return BaselineColumn(
            kind="numeric",
            mean=block.get("mean"),
            min=block.get("min"),
            max=block.get("max"),
            points=np.asarray(cdf["values"], dtype=np.float64),
            count_le=np.asarray(cdf["count_le"], dtype=np.int64),
            count_lt=np.asarray(cdf["count_lt"], dtype=np.int64),
            exact=bool(cdf.get("exact", False)),
            deciles=np.asarray(kll["quantiles"]["values"], dtype=np.float64),
            **base,
        )
    buckets = block["distribution"]["categorical"]["buckets"]
    domains = (cons.get("string_constraints") or {}).get("domains")
    return BaselineColumn(
        kind="categorical",
        categories={str(b["value"]): int(b["count"]) for b in buckets},
        domain=None if domains is None else frozenset(str(d) for d in domains),
        **base,
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BaselineFileError(path=str(path), reason="no such file") from exc
    except (OSError, ValueError) as exc:
        raise BaselineFileError(path=str(path), reason=f"not readable JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise BaselineFileError(path=str(path), reason="not a JSON object")
    return data


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _floats(values: Floats) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64)]
