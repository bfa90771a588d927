"""Fill a :class:`ReportData` from what a pipeline run left in the lake.

Every section comes from a record the stages already keep, found through the run's steps:
the step runs (``ops.step_runs``: stages, seconds, errors) and each step's ``--json`` output in
its log (:mod:`infra.report.step_outputs`: which stream, job batches, ETL runs, model version,
predictions table, endpoint probe and monitor run it produced); then

- ingest: the job's rows of ``ops.ingest_metrics`` for those batches, and per-record
  freshness (the batch's end minus each record's ``_arrival_time`` in bronze);
- quality: ``quality.results`` rows of the ETL runs, and the ingest's raw-stage rows recorded
  during the pipeline run;
- model and tuning: the registered version's metrics (MLflow) and its run's artifacts
  (``evaluation/test.json``, ``feature_importance.json``, ``tuning/trials.json``);
- predictions: the ``lake predict`` output table's rows of that version;
- drift: ``ml.monitor_metrics`` and ``ml.monitor_violations`` rows of the monitor run;
- lineage: stream → raw → bronze at its version → the training run's tables and view →
  model version → predictions table at its version.

A section whose stage did not run stays empty ("not run" in the report); a section that cannot
be read is left empty too and the reason is listed in the summary (never a half-filled one).
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow.dataset as pads

from infra.delta_rows import read_rows
from infra.report.model import (
    BatchPredictions,
    DriftSection,
    EndpointSample,
    EndpointSummary,
    FeatureImportance,
    IngestSection,
    Lineage,
    ModelSection,
    QualitySection,
    ReportData,
    StageTiming,
    Status,
    Tuning,
)
from infra.report.step_outputs import StepOutput, json_documents, output_rows, step_command
from lake.errors import LakeforgeError

if TYPE_CHECKING:
    from catalog.stores.base import CatalogStore
    from infra.pipelines.history import PipelineRun, RunHistory, StepRun
    from lake.ml.tracking import ModelRegistry
    from lake.storage import StorageProfile

__all__ = ["RunRecords", "collect_run_report", "read_run_records", "stage_timings"]

_log = logging.getLogger(__name__)
T = TypeVar("T")

INGEST_METRICS = "ops.ingest_metrics"
QUALITY_RESULTS = "quality.results"
MONITOR_METRICS = "ml.monitor_metrics"
MONITOR_VIOLATIONS = "ml.monitor_violations"
_STATUS = {"success": Status.OK, "failed": Status.FAILED, "interrupted": Status.FAILED,
           "upstream_failed": Status.NOT_RUN}


@dataclass(frozen=True)
class RunRecords:
    """A pipeline run, its finished steps (run order) and what each step printed."""

    run: PipelineRun
    steps: Sequence[StepRun]
    outputs: Mapping[str, StepOutput] = field(default_factory=dict)

    def output(self, *commands: str) -> StepOutput | None:
        """The last step that ran one of ``commands`` successfully and printed JSON."""
        found = [o for s in self.steps if (o := self.outputs.get(s.step)) is not None
                 and o.command in commands and o.result is not None and s.status.value == "success"]
        return found[-1] if found else None


def read_run_records(history: RunHistory, run_id: str) -> RunRecords:
    """The run, its steps that are not running any more, and their parsed logs."""
    run = history.get_run(run_id)
    steps = [s for s in history.step_runs(run_id) if s.status.value != "running"]
    far = datetime.max.replace(tzinfo=UTC)
    # run order; steps started in the same second (in parallel) by name
    steps.sort(key=lambda s: ((s.started_at or s.ended_at or far).replace(microsecond=0), s.step))
    outputs: dict[str, StepOutput] = {}
    for step in steps:
        command, args = step_command(step.command)
        documents: list[Any] = []
        if step.log_location and step.status.value == "success":
            try:
                documents = json_documents(history.read_log(step.log_location))
            except OSError as exc:
                _log.warning("step %s: log %s unreadable: %s", step.step, step.log_location, exc)
        outputs[step.step] = StepOutput(step.step, command, args, tuple(documents))
    return RunRecords(run, steps, outputs)


def stage_timings(records: RunRecords, rows: Mapping[str, int | None] | None = None) -> list[StageTiming]:
    """One :class:`StageTiming` per finished step; ``rows`` overrides what the outputs say."""
    out = []
    for step in records.steps:
        output = records.outputs.get(step.step)
        seconds = (step.ended_at - step.started_at).total_seconds() if step.started_at and step.ended_at else None
        count = (rows or {}).get(step.step)
        if count is None and output is not None:
            count = output_rows(output.command, output.result)
        out.append(StageTiming(step.step, _STATUS.get(step.status.value, Status.FAILED), seconds, count,
                               step.error if step.status.value != "success" else None))
    return out


def collect_run_report(
    history: RunHistory,
    run_id: str,
    *,
    store: CatalogStore,
    profile: StorageProfile,
    registry: Callable[[], ModelRegistry],
    now: datetime | None = None,
) -> ReportData:
    """The lifecycle report of pipeline run ``run_id`` (see the module docstring)."""
    records = read_run_records(history, run_id)
    collector = _Collector(records, store, profile, registry)
    ingest = collector.section("ingest", collector.ingest)
    quality = collector.section("quality", collector.quality)
    model = collector.section("model", collector.model)
    predictions = collector.section("predictions", collector.predictions)
    endpoint = collector.section("endpoint", collector.endpoint)
    drift = collector.section("drift", collector.drift)
    lineage = collector.section("lineage", collector.lineage)
    run = records.run
    context = {"pipeline": run.pipeline, "logical date": run.logical_date.isoformat(),
               "trigger": run.trigger, "lake": profile.lake_uri, "profile": profile.name,
               **{f"{name} section": f"could not be read: {why}" for name, why in collector.problems.items()}}
    return ReportData(
        run_id=run.run_id, started_at=run.started_at, finished_at=run.ended_at or now or datetime.now(UTC),
        title=f"lakeforge lifecycle report: pipeline {run.pipeline}",
        stages=stage_timings(records, collector.rows), ingest=ingest, quality=quality, model=model,
        predictions=predictions, endpoint=endpoint, drift=drift, lineage=lineage, context=context,
    )


class _Collector:
    """Builds each section from the run's records; remembers why a section could not be built."""

    def __init__(self, records: RunRecords, store: CatalogStore, profile: StorageProfile,
                 registry: Callable[[], ModelRegistry]) -> None:
        self.records = records
        self.store = store
        self.profile = profile
        self._registry_factory = registry
        self._registry: ModelRegistry | None = None
        self.problems: dict[str, str] = {}
        self.rows: dict[str, int | None] = {}
        self._training: dict[str, Any] | None = None

    @property
    def registry(self) -> ModelRegistry:
        if self._registry is None:
            self._registry = self._registry_factory()
        return self._registry

    def section(self, name: str, build: Callable[[], T | None]) -> T | None:
        try:
            return build()
        except (LakeforgeError, OSError, KeyError, ValueError, TypeError) as exc:
            _log.warning("report section %s: %s", name, exc, exc_info=True)
            self.problems[name] = " ".join(str(exc).split())[:300] or type(exc).__name__
            return None

    def _rows(self, table: str, *, columns: Sequence[str] | None = None,
              where: pads.Expression | None = None) -> list[dict[str, Any]]:
        return read_rows(self.store, self.profile, table, columns=columns, where=where).rows

    # --- ingest ---------------------------------------------------------------------------
    def ingest(self) -> IngestSection | None:
        out = self.records.output("ingest")
        if out is None:
            return None
        result = out.result
        stream = str(result.get("stream") or out.option("--stream"))
        last, count = result.get("last_batch_id"), int(result.get("batches") or 0)
        ids = list(range(int(last) - count + 1, int(last) + 1)) if isinstance(last, int) and count else []
        where = (pads.field("job") == str(result.get("job"))) & pads.field("batch_id").isin(ids) if ids else None
        metrics = self._rows(INGEST_METRICS, where=where) if where is not None else []
        bronze = next((t for t in result.get("catalog_tables") or () if str(t).startswith("bronze.")),
                      f"bronze.{stream}")
        freshness = self._freshness(bronze, metrics) if metrics else []
        return IngestSection.from_metrics_rows(stream, metrics, freshness_s=freshness,
                                               raw_path=result.get("raw_prefix"), bronze_table=bronze)

    def _freshness(self, bronze: str, metrics: Sequence[Mapping[str, Any]]) -> list[float]:
        """Seconds from each record's arrival in the stream to the end of the batch that made it visible."""
        visible = {int(m["batch_id"]): _utc(m["started_at"]) + timedelta(milliseconds=int(m.get("duration_ms") or 0))
                   for m in metrics if m.get("started_at") is not None}
        rows = self._rows(bronze, columns=["_batch_id", "_arrival_time"],
                          where=pads.field("_batch_id").isin(list(visible)))
        out = []
        for row in rows:
            batch, arrived = row.get("_batch_id"), row.get("_arrival_time")
            if batch in visible and arrived is not None:
                out.append(max(0.0, (visible[batch] - _utc(arrived)).total_seconds()))
        return out

    # --- quality --------------------------------------------------------------------------
    def quality(self) -> QualitySection | None:
        etl = self.records.output("etl run", "etl")
        ingest = self.records.output("ingest")
        if etl is None and ingest is None:
            return None
        runs = [r for r in (etl.result if etl is not None and isinstance(etl.result, list) else
                            [etl.result] if etl is not None else [])]
        run_ids = [str(r["run_id"]) for r in runs if isinstance(r, Mapping) and r.get("run_id")]
        since = self.records.run.started_at
        where = pads.field("run_id").isin(run_ids) if run_ids else None
        if ingest is not None:
            raw = (pads.field("kind") == "raw") & (pads.field("recorded_at") >= since)
            where = raw if where is None else where | raw
        if where is None:
            return None
        rows = self._rows(QUALITY_RESULTS, where=where)
        rows.sort(key=lambda r: (r.get("recorded_at") or since, str(r.get("table")), str(r.get("kind"))))
        return QualitySection.from_rows(rows, ", ".join(run_ids) or None)

    # --- model ----------------------------------------------------------------------------
    def _trained(self) -> tuple[str, int, str | None] | None:
        out = self.records.output("train")
        if out is None or out.result.get("version") is None:
            return None
        return str(out.result["model"]), int(out.result["version"]), out.result.get("run_id")

    def model(self) -> ModelSection | None:
        trained = self._trained()
        if trained is None:
            return None
        name, version, run_id = trained
        details = self.registry.show(f"{name}:{version}")
        run_id = details.info.run_id or run_id
        if details.params.get("data.rows", "").isdigit():
            self.rows[self._step_of("train")] = int(details.params["data.rows"])
        evaluation = self._artifact(run_id, "evaluation/test.json")
        importance = self._artifact(run_id, "feature_importance.json")
        trials = self._artifact(run_id, "tuning/trials.json")
        if evaluation is None:
            raise ValueError(f"{name}:{version} logged no evaluation/test.json")
        return ModelSection.from_evaluation(
            name, version, evaluation, metrics=details.metrics, split="test", run_id=run_id,
            algorithm=details.params.get("model.algorithm"),
            importance=FeatureImportance(list(importance["features"]), list(importance["features"].values()),
                                         importance.get("kind", "importance")) if importance else None,
            tuning=Tuning.from_result(trials) if trials else None,
        )

    def _step_of(self, command: str) -> str:
        out = self.records.output(command)
        return out.step if out is not None else command

    def _artifact(self, run_id: str | None, path: str) -> Any:
        """A JSON artifact of the training run (``None`` when it logged none at ``path``)."""
        if not run_id:
            return None
        store = self.registry.store
        client = store.client()
        folder = path.rsplit("/", 1)[0] if "/" in path else None
        with store.artifact_access():
            if path not in {a.path for a in client.list_artifacts(run_id, folder)}:
                return None
            with tempfile.TemporaryDirectory(prefix="lakeforge-report-") as tmp:
                local = client.download_artifacts(run_id, path, tmp)
                return json.loads(Path(local).read_text(encoding="utf-8"))

    # --- serving --------------------------------------------------------------------------
    def predictions(self) -> BatchPredictions | None:
        out = self.records.output("predict")
        if out is None:
            return None
        result = out.result
        table, version = str(result["output"]), result.get("version")
        rows = self._rows(table, columns=["prediction", "model_version"],
                          where=pads.field("model_version") == str(version))
        counts = Counter(_label(r.get("prediction")) for r in rows)
        return BatchPredictions(table=table, rows=int(result.get("rows") or 0), version=result.get("table_version"),
                                model=f"{result.get('model')}:{version}", seconds=result.get("seconds"),
                                prediction_counts=dict(sorted(counts.items())))

    def endpoint(self) -> EndpointSummary | None:
        out = self.records.output("invoke")
        if out is None:
            return None
        r = out.result
        samples = [EndpointSample(str(s["request"]), str(s["response"]), int(s.get("status") or 0),
                                  s.get("latency_ms")) for s in r.get("samples") or ()]
        return EndpointSummary(url=str(r["url"]), requests=int(r["requests"]), p50_ms=r.get("p50_ms"),
                               p99_ms=r.get("p99_ms"), errors=int(r.get("errors") or 0),
                               model=f"{r.get('model')}:{r.get('version')}", samples=samples,
                               compared=r.get("compared"), agreed=r.get("agreed"), endpoint=r.get("endpoint"))

    # --- monitoring -----------------------------------------------------------------------
    def drift(self) -> DriftSection | None:
        out = self.records.output("monitor run", "monitor")
        if out is None or not out.result.get("run_id"):
            return None
        from lake.ml.monitor.thresholds import MonitorThresholds

        run_id = str(out.result["run_id"])
        metrics = self._rows(MONITOR_METRICS, where=pads.field("run_id") == run_id)
        violations = self._rows(MONITOR_VIOLATIONS, where=pads.field("run_id") == run_id) if out.result.get(
            "violations") else []
        metrics.sort(key=lambda r: str(r.get("feature")))
        return DriftSection.from_monitor_rows(metrics, violations, psi_threshold=MonitorThresholds().psi_threshold,
                                              model=f"{out.result.get('model')}:{out.result.get('version')}")

    # --- lineage --------------------------------------------------------------------------
    def lineage(self) -> Lineage | None:
        ingest = self.records.output("ingest")
        trained = self._trained()
        predict = self.records.output("predict")
        if ingest is None and trained is None:
            return None
        stream = raw = None
        tables: list[tuple[str, int | None]] = []
        if ingest is not None:
            stream = str(ingest.result.get("stream") or ingest.option("--stream"))
            raw = ingest.result.get("raw_prefix")
            tables.append((f"bronze.{stream}", ingest.result.get("bronze_version")))
        view = model = None
        if trained is not None:
            name, version, run_id = trained
            lineage = self.registry.lineage_of(f"{name}:{version}").to_dict()
            tables += [(str(t["name"]), t.get("version")) for t in lineage.get("tables") or ()]
            source = str(lineage["source"])
            if all(n != source for n, _ in tables):
                view = (source, lineage.get("expanded_sql"))
            model = (name, version, run_id)
        predictions = None
        if predict is not None:
            predictions = (str(predict.result["output"]), predict.result.get("table_version"))
        return Lineage.chain(stream=stream, raw_path=raw, tables=tables, view=view, model=model,
                             predictions=predictions)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
