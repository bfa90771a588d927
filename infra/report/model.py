"""The lifecycle report's input: plain frozen dataclasses the demo fills from what each stage returns.

Every section is optional: a section left ``None`` renders as "not run" (with the stage's error
line when :attr:`ReportData.stages` records that stage as failed). Sequences may be given as
lists; they are stored as tuples. Builders (``from_metrics_rows``, ``from_row``,
``from_evaluation``, ``from_result``, ``from_monitor_rows``, ``Lineage.chain``) take the shapes
the stages already produce: rows of the ingest-metrics table (``lake.stream.ingest.metrics``),
``quality.results`` rows (``lake.quality.results``), ``Evaluation.to_dict()``
(``lake.ml.evaluate``), ``TuneResult`` (``lake.ml.tune``), ``ml.monitor_metrics`` and
``ml.monitor_violations`` rows (``lake.ml.monitor.violations``) and the training run's lineage
record (``lake.ml.tracking.Lineage.to_dict()``).
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from infra.report.errors import ReportDataError

__all__ = [
    "LINEAGE_KINDS",
    "BatchPredictions",
    "DriftSection",
    "EndpointSample",
    "EndpointSummary",
    "FeatureDrift",
    "FeatureImportance",
    "IngestBatch",
    "IngestSection",
    "Lineage",
    "LineageNode",
    "ModelSection",
    "PrCurve",
    "QualityRow",
    "QualitySection",
    "ReportData",
    "RocCurve",
    "StageTiming",
    "Status",
    "Tuning",
    "TuningTrial",
]

#: The order of lineage node kinds from the stream to the predictions.
LINEAGE_KINDS = ("stream", "raw", "bronze", "silver", "gold", "table", "view", "model", "predictions")
_QUALITY_KINDS = ("row", "table", "raw")
_QUALITY_ACTIONS = ("warn", "drop", "fail")
_QUALITY_STATUSES = ("passed", "warned", "dropped", "failed")
_IMPORTANCE_KINDS = ("importance", "coefficient")


class Status(StrEnum):
    """How a stage ended."""

    OK = "ok"
    WARNED = "warned"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_RUN = "not run"

    @classmethod
    def parse(cls, value: str | Status) -> Status:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            valid = ", ".join(s.value for s in cls)
            raise ReportDataError("status", f"expected one of {valid}, got {value!r}") from None


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


def _tuple(obj: Any, name: str) -> tuple[Any, ...]:
    value = getattr(obj, name)
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ReportDataError(name, f"expected a sequence, got {type(value).__name__}")
    out = tuple(value)
    _set(obj, name, out)
    return out


def _floats(obj: Any, name: str) -> tuple[float, ...]:
    try:
        out = tuple(float(v) for v in _tuple(obj, name))
    except (TypeError, ValueError) as exc:
        raise ReportDataError(name, f"expected numbers ({exc})") from None
    _set(obj, name, out)
    return out


def _choice(obj: Any, name: str, valid: Sequence[str]) -> None:
    value = str(getattr(obj, name)).strip().lower()
    if value not in valid:
        raise ReportDataError(name, f"expected one of {', '.join(valid)}, got {getattr(obj, name)!r}")
    _set(obj, name, value)


def _non_negative(obj: Any, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if value is not None and (not isinstance(value, numbers.Real) or isinstance(value, bool)
                                  or math.isnan(value) or value < 0):
            raise ReportDataError(name, f"expected a number >= 0, got {value!r}")


def _params(value: Any) -> dict[str, Any]:
    """A trial's parameters: a mapping, or JSON text of one."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else {}
    if value is not None and not isinstance(value, Mapping):
        raise ReportDataError("params", f"expected a mapping of parameters, got {type(value).__name__}")
    return dict(value or {})


def _opt_float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


@dataclass(frozen=True)
class StageTiming:
    """One stage of the run: status, wall time, rows it produced and its error line if it failed."""

    stage: str
    status: Status | str = Status.OK
    seconds: float | None = None
    rows: int | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        _set(self, "status", Status.parse(self.status))
        _non_negative(self, "seconds", "rows")


# --- ingest -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestBatch:
    """One micro-batch: records read, seconds taken, arrival-to-visible freshness when measured."""

    batch_id: int
    records: int
    seconds: float
    started_at: datetime | None = None
    errors: int = 0
    freshness_p50_s: float | None = None
    freshness_p95_s: float | None = None
    freshness_max_s: float | None = None
    bronze_version: int | None = None

    def __post_init__(self) -> None:
        _non_negative(self, "records", "seconds", "errors", "freshness_p50_s", "freshness_p95_s", "freshness_max_s")

    @classmethod
    def from_metrics_row(cls, row: Mapping[str, Any]) -> IngestBatch:
        """A row of the ingest-metrics table (``METRICS_SCHEMA``); ``max_latency_ms`` is the batch's
        oldest record's arrival-to-visible time."""
        latency = row.get("max_latency_ms")
        return cls(
            batch_id=int(row["batch_id"]),
            records=int(row.get("records_in") or 0),
            seconds=(row.get("duration_ms") or 0) / 1000,
            started_at=row.get("started_at"),
            errors=int(row.get("error_records") or 0),
            freshness_max_s=None if latency is None else latency / 1000,
            bronze_version=row.get("bronze_version"),
        )


@dataclass(frozen=True)
class IngestSection:
    """The ingest stage: its batches, and per-record freshness (seconds) when the run measured it."""

    stream: str
    batches: Sequence[IngestBatch]
    freshness_s: Sequence[float] = ()
    raw_path: str | None = None
    bronze_table: str | None = None

    def __post_init__(self) -> None:
        _set(self, "batches", tuple(sorted(_tuple(self, "batches"), key=lambda b: b.batch_id)))
        values = _floats(self, "freshness_s")
        if any(not math.isfinite(v) or v < 0 for v in values):
            raise ReportDataError("freshness_s", "expected finite seconds >= 0")

    @classmethod
    def from_metrics_rows(
        cls, stream: str, rows: Iterable[Mapping[str, Any]], *, freshness_s: Sequence[float] = (),
        raw_path: str | None = None, bronze_table: str | None = None,
    ) -> IngestSection:
        """The section from ingest-metrics rows (rows of other streams are ignored)."""
        batches = [IngestBatch.from_metrics_row(r) for r in rows if r.get("stream") in (None, stream)]
        return cls(stream, batches, freshness_s, raw_path, bronze_table)

    @property
    def records(self) -> int:
        return sum(b.records for b in self.batches)

    @property
    def errors(self) -> int:
        return sum(b.errors for b in self.batches)

    @property
    def seconds(self) -> float:
        return sum(b.seconds for b in self.batches)


# --- quality ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityRow:
    """One rule's outcome (a row of ``quality.results``); ``evaluated``/``failed`` may be unknown."""

    table: str
    rule: str
    kind: str
    action: str
    evaluated: int | None
    failed: int | None
    status: str
    seconds: float | None = None

    def __post_init__(self) -> None:
        _choice(self, "kind", _QUALITY_KINDS)
        _choice(self, "action", _QUALITY_ACTIONS)
        _choice(self, "status", _QUALITY_STATUSES)
        _non_negative(self, "evaluated", "failed", "seconds")
        if self.evaluated is not None and self.failed is not None and self.failed > self.evaluated:
            raise ReportDataError("failed", f"rule {self.rule!r}: {self.failed} failed of {self.evaluated} evaluated")

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | Any) -> QualityRow:
        """A ``quality.results`` row, or a ``QualityResult`` (anything with ``to_row()``)."""
        data = row.to_row() if hasattr(row, "to_row") else row
        return cls(
            table=str(data["table"]), rule=str(data["rule"]), kind=str(data["kind"]), action=str(data["action"]),
            evaluated=data.get("evaluated"), failed=data.get("failed"), status=str(data["status"]),
            seconds=data.get("seconds"),
        )


@dataclass(frozen=True)
class QualitySection:
    """Every rule evaluated in the run."""

    rows: Sequence[QualityRow]
    run_id: str | None = None

    def __post_init__(self) -> None:
        _tuple(self, "rows")

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any] | Any], run_id: str | None = None) -> QualitySection:
        return cls(tuple(QualityRow.from_row(r) for r in rows), run_id)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


# --- model --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RocCurve:
    fpr: Sequence[float]
    tpr: Sequence[float]
    auc: float | None = None

    def __post_init__(self) -> None:
        if len(_floats(self, "fpr")) != len(_floats(self, "tpr")):
            raise ReportDataError("roc", f"{len(self.fpr)} fpr values but {len(self.tpr)} tpr values")


@dataclass(frozen=True)
class PrCurve:
    recall: Sequence[float]
    precision: Sequence[float]
    average_precision: float | None = None
    prevalence: float | None = None

    def __post_init__(self) -> None:
        if len(_floats(self, "recall")) != len(_floats(self, "precision")):
            raise ReportDataError("pr", f"{len(self.recall)} recall values but {len(self.precision)} precision values")


@dataclass(frozen=True)
class FeatureImportance:
    """Per-feature importance (trees) or coefficient (linear models)."""

    names: Sequence[str]
    values: Sequence[float]
    kind: str = "importance"

    def __post_init__(self) -> None:
        _set(self, "names", tuple(str(n) for n in _tuple(self, "names")))
        if len(self.names) != len(_floats(self, "values")):
            raise ReportDataError("importance", f"{len(self.names)} names for {len(self.values)} values")
        _choice(self, "kind", _IMPORTANCE_KINDS)


@dataclass(frozen=True)
class TuningTrial:
    """One point of the search; ``metric`` is ``None`` when the trial failed."""

    index: int
    params: Mapping[str, Any]
    metric: float | None
    seconds: float
    status: str = "OK"
    metric_std: float | None = None


@dataclass(frozen=True)
class Tuning:
    """The tuning trials of the training run."""

    metric: str
    greater_is_better: bool
    trials: Sequence[TuningTrial]
    best_index: int | None = None
    strategy: str | None = None
    method: str | None = None

    def __post_init__(self) -> None:
        _set(self, "trials", tuple(sorted(_tuple(self, "trials"), key=lambda t: t.index)))

    @classmethod
    def from_result(cls, result: Any) -> Tuning:
        """From a ``lake.ml.tune.TuneResult``, its ``to_dict()``, or the training run's ``tuning/trials.json``
        (trials as ``TuneResult.rows()``: ``trial`` for the index, ``params`` as JSON text)."""
        data = result.to_dict() if hasattr(result, "to_dict") else result
        trials = [
            TuningTrial(index=int(t["index"] if "index" in t else t["trial"]), params=_params(t.get("params")),
                        metric=_opt_float(t.get("metric")), seconds=float(t.get("seconds") or 0.0),
                        status=str(t.get("status") or "OK"), metric_std=_opt_float(t.get("metric_std")))
            for t in data["trials"]
        ]
        return cls(metric=str(data["metric"]), greater_is_better=bool(data["greater_is_better"]), trials=trials,
                   best_index=data.get("best_index"), strategy=data.get("strategy"), method=data.get("method"))

    @property
    def best(self) -> TuningTrial | None:
        if self.best_index is not None:
            return next((t for t in self.trials if t.index == self.best_index), None)
        scored = [t for t in self.trials if t.metric is not None]
        if not scored:
            return None
        pick = max if self.greater_is_better else min
        return pick(scored, key=lambda t: t.metric or 0.0)


@dataclass(frozen=True)
class ModelSection:
    """The trained, registered model: metrics per split and what its plots need."""

    name: str
    version: str | int | None
    task: str
    metrics: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)  # undefined (None) dropped
    run_id: str | None = None
    algorithm: str | None = None
    evaluation_split: str = "test"
    roc: RocCurve | None = None
    pr: PrCurve | None = None
    confusion: Sequence[Sequence[int]] = ()
    labels: Sequence[str] = ()
    threshold: float | None = None
    importance: FeatureImportance | None = None
    tuning: Tuning | None = None
    notes: Sequence[str] = ()

    def __post_init__(self) -> None:
        _set(self, "metrics", {str(s): {str(k): float(v) for k, v in m.items() if v is not None}
                               for s, m in self.metrics.items()})
        matrix = tuple(tuple(int(c) for c in row) for row in _tuple(self, "confusion"))
        _set(self, "confusion", matrix)
        _set(self, "labels", tuple(str(label) for label in _tuple(self, "labels")))
        if matrix and any(len(row) != len(matrix) for row in matrix):
            raise ReportDataError("confusion", "expected a square matrix (rows: true class, columns: predicted)")
        if matrix and len(self.labels) != len(matrix):
            k = len(matrix)
            raise ReportDataError("labels", f"{len(self.labels)} labels for a {k}x{k} confusion matrix")
        _tuple(self, "notes")

    @property
    def ref(self) -> str:
        """``name:version`` (or the name alone when not registered)."""
        return self.name if self.version is None else f"{self.name}:{self.version}"

    @classmethod
    def from_evaluation(
        cls, name: str, version: str | int | None, evaluation: Any, *,
        metrics: Mapping[str, Mapping[str, float | None]] | None = None, split: str = "test", run_id: str | None = None,
        algorithm: str | None = None, importance: FeatureImportance | None = None, tuning: Tuning | None = None,
    ) -> ModelSection:
        """From a ``lake.ml.evaluate.Evaluation`` (or its ``to_dict()``) of ``split``; ``metrics`` maps
        every split to its metrics (default: this evaluation's metrics as ``split``)."""
        ev = evaluation.to_dict() if hasattr(evaluation, "to_dict") else dict(evaluation)
        values = {k: v for k, v in (ev.get("metrics") or {}).items() if v is not None}
        confusion = ev.get("confusion") or []
        roc = pr = None
        if ev.get("roc"):
            roc = RocCurve(ev["roc"]["fpr"], ev["roc"]["tpr"], values.get("roc_auc"))
        if ev.get("pr"):
            prevalence = None
            total = sum(sum(row) for row in confusion)
            if len(confusion) == 2 and total:
                prevalence = sum(confusion[1]) / total
            pr = PrCurve(ev["pr"]["recall"], ev["pr"]["precision"], values.get("pr_auc"), prevalence)
        return cls(
            name=name, version=version, task=str(ev["task"]), metrics=metrics or {split: values}, run_id=run_id,
            algorithm=algorithm, evaluation_split=split, roc=roc, pr=pr, confusion=confusion,
            labels=ev.get("labels") or [], threshold=ev.get("threshold"), importance=importance, tuning=tuning,
            notes=ev.get("notes") or [],
        )


# --- serving ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchPredictions:
    """The batch-prediction stage: rows scored into ``table`` (at Delta ``version``)."""

    table: str
    rows: int
    version: int | None = None
    model: str | None = None
    seconds: float | None = None
    prediction_counts: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _non_negative(self, "rows", "seconds")
        _set(self, "prediction_counts", {str(k): int(v) for k, v in self.prediction_counts.items()})


@dataclass(frozen=True)
class EndpointSample:
    """One request sent to the endpoint and its response (bodies as text)."""

    request: str
    response: str
    status: int = 200
    latency_ms: float | None = None


@dataclass(frozen=True)
class EndpointSummary:
    """The serving stage: requests sent, latency percentiles, a few sample exchanges, and how many
    answers were checked against (``compared``) and equal to (``agreed``) the batch predictions."""

    url: str
    requests: int
    p50_ms: float | None
    p99_ms: float | None
    errors: int = 0
    model: str | None = None
    samples: Sequence[EndpointSample] = ()
    compared: int | None = None
    agreed: int | None = None
    endpoint: str | None = None

    def __post_init__(self) -> None:
        _non_negative(self, "requests", "errors", "p50_ms", "p99_ms", "compared", "agreed")
        _tuple(self, "samples")


# --- monitoring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's drift: PSI, KS statistic and p-value, and the violation raised (if any)."""

    feature: str
    psi: float | None = None
    ks_statistic: float | None = None
    ks_pvalue: float | None = None
    violation: str | None = None
    drifted: bool | None = None

    def __post_init__(self) -> None:
        for name in ("psi", "ks_statistic", "ks_pvalue"):
            _set(self, name, _opt_float(getattr(self, name)))
        if self.drifted is None:
            _set(self, "drifted", self.violation is not None)


@dataclass(frozen=True)
class DriftSection:
    """The monitoring run over the current (drifted) records."""

    features: Sequence[FeatureDrift]
    psi_threshold: float = 0.2
    model: str | None = None
    baseline_rows: int | None = None
    current_rows: int | None = None

    def __post_init__(self) -> None:
        _tuple(self, "features")
        _non_negative(self, "psi_threshold", "baseline_rows", "current_rows")

    @classmethod
    def from_monitor_rows(
        cls, metrics: Iterable[Mapping[str, Any]], violations: Iterable[Mapping[str, Any]] = (), *,
        psi_threshold: float = 0.2, model: str | None = None,
    ) -> DriftSection:
        """From ``ml.monitor_metrics`` rows (one per feature) and ``ml.monitor_violations`` rows."""
        kinds: dict[str, list[str]] = {}
        for v in violations:
            kinds.setdefault(str(v["feature"]), []).append(str(v["check_type"]))
        features: list[FeatureDrift] = []
        baseline = current = None
        for row in metrics:
            name = str(row["feature"])
            found = kinds.pop(name, [])
            features.append(FeatureDrift(
                feature=name, psi=row.get("psi"), ks_statistic=row.get("ks_statistic"), ks_pvalue=row.get("ks_pvalue"),
                violation=", ".join(sorted(set(found))) or None, drifted=bool(row.get("drifted")) or bool(found),
            ))
            baseline = baseline if baseline is not None else row.get("baseline_count")
            current = current if current is not None else row.get("current_count")
        features += [FeatureDrift(feature=f, violation=", ".join(sorted(set(k)))) for f, k in kinds.items()]
        return cls(features, psi_threshold, model, baseline, current)

    @property
    def drifted(self) -> list[str]:
        return [f.feature for f in self.features if f.drifted]


# --- lineage ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineageNode:
    """One hop of the lineage: a stream, a raw path, a table at a Delta version, a view, a model version."""

    kind: str
    name: str
    version: str | int | None = None
    uri: str | None = None
    sql: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        _choice(self, "kind", LINEAGE_KINDS)

    @property
    def label(self) -> str:
        if self.version is None:
            return self.name
        return f"{self.name}:{self.version}" if self.kind == "model" else f"{self.name}@v{self.version}"


@dataclass(frozen=True)
class Lineage:
    """The chain from the stream to the model version and its predictions, in lifecycle order."""

    nodes: Sequence[LineageNode]

    def __post_init__(self) -> None:
        _tuple(self, "nodes")

    @classmethod
    def chain(
        cls, *, stream: str | None = None, raw_path: str | None = None,
        tables: Iterable[tuple[str, int | None] | LineageNode] = (), view: tuple[str, str | None] | None = None,
        model: tuple[str, str | int | None, str | None] | None = None,
        predictions: tuple[str, int | None] | None = None,
    ) -> Lineage:
        """The usual chain: ``tables`` as ``(db.name, version)`` (kind from the database: bronze,
        silver, gold, else table), ``view`` as ``(name, sql)``, ``model`` as ``(name, version, run_id)``,
        ``predictions`` as ``(table, version)``; tables are ordered bronze → silver → gold."""
        nodes: list[LineageNode] = []
        if stream:
            nodes.append(LineageNode("stream", stream))
        if raw_path:
            nodes.append(LineageNode("raw", raw_path))
        table_nodes = [t if isinstance(t, LineageNode) else LineageNode(_table_kind(t[0]), t[0], t[1]) for t in tables]
        nodes += sorted(table_nodes, key=lambda n: LINEAGE_KINDS.index(n.kind))
        if view:
            nodes.append(LineageNode("view", view[0], sql=view[1]))
        if model:
            nodes.append(LineageNode("model", model[0], model[1], detail=f"run {model[2]}" if model[2] else None))
        if predictions:
            nodes.append(LineageNode("predictions", predictions[0], predictions[1]))
        return cls(nodes)

    @classmethod
    def from_training(
        cls, training: Any, *, stream: str | None = None, raw_path: str | None = None,
        model: tuple[str, str | int | None, str | None] | None = None,
        predictions: tuple[str, int | None] | None = None,
    ) -> Lineage:
        """From the training run's lineage record (``lake.ml.tracking.Lineage`` or its ``to_dict()``):
        its tables with their Delta versions, and its source view with the expanded SQL."""
        data = training.to_dict() if hasattr(training, "to_dict") else training
        tables = [(str(t["name"]), t.get("version")) for t in data.get("tables") or ()]
        source = str(data["source"])
        view = None if any(name == source for name, _ in tables) else (source, data.get("expanded_sql"))
        return cls.chain(stream=stream, raw_path=raw_path, tables=tables, view=view, model=model,
                         predictions=predictions)


def _table_kind(name: str) -> str:
    database = name.split(".", 1)[0].lower() if "." in name else ""
    return database if database in ("raw", "bronze", "silver", "gold") else "table"


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows; a section left ``None`` renders as "not run"."""

    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    title: str = "lakeforge lifecycle report"
    stages: Sequence[StageTiming] = ()
    ingest: IngestSection | None = None
    quality: QualitySection | None = None
    model: ModelSection | None = None
    predictions: BatchPredictions | None = None
    endpoint: EndpointSummary | None = None
    drift: DriftSection | None = None
    lineage: Lineage | None = None
    context: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.run_id or "/" in self.run_id or self.run_id in (".", ".."):
            raise ReportDataError("run_id", f"expected a non-empty name without '/', got {self.run_id!r}")
        _tuple(self, "stages")
        _set(self, "context", {str(k): str(v) for k, v in self.context.items()})

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def stage(self, name: str) -> StageTiming | None:
        """The recorded stage called ``name`` (the last one, if recorded twice)."""
        found = [s for s in self.stages if s.stage == name]
        return found[-1] if found else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (datetimes as ISO 8601), e.g. to keep next to the report."""
        return _plain(self)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
