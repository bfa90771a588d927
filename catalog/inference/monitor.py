"""Model monitoring over the catalog: the version's baseline against a table, a view or captured requests.

``run_catalog_monitor`` loads the baseline the training run logged (artifact
``monitor_baseline/``: ``statistics.json``, ``constraints.json``, ``baseline.json``), reads the
current data — a catalog table or view, or ``captured``: the endpoint's capture table
``ml.capture_<endpoint>`` expanded into one row per scored record — optionally joins late ground
truth, runs :func:`lake.ml.monitor.run_monitor`, appends the violations to
``ml.monitor_violations`` and the per-feature drift metrics to ``ml.monitor_metrics`` (Delta,
registered; one transaction per run id, so a retried write adds nothing), and writes the report
(plots + ``report.html`` + SageMaker's ``constraint_violations.json``) to
``<lake>/ml/monitor/<model>/<run id>/``.

Captured rows: a JSON request is one record or a list; a CSV request has rows in the served
signature's column order. Each record gets ``inference_id`` (the request's id; ``<id>:<i>`` for
the i-th record of a multi-record request), ``prediction`` and, for binary classifiers,
``probability`` of the second class — ground truth for captured data joins on ``inference_id``.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from catalog.inference.capture import capture_table_name
from catalog.inference.errors import BaselineMissingError, InputResolutionError
from catalog.inference.inputs import resolve_input

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from catalog.stores.base import CatalogStore
    from lake.delta import DeltaTableStore
    from lake.ml.monitor import Baseline, MonitorResult
    from lake.ml.tracking import ModelRegistry, ModelVersionInfo
    from lake.storage import StorageProfile

__all__ = ["CAPTURED", "METRICS_TABLE", "VIOLATIONS_TABLE", "BaselineMissingError", "MonitorRun",
           "captured_frame", "load_baseline", "run_catalog_monitor"]

CAPTURED = "captured"
VIOLATIONS_TABLE = "ml.monitor_violations"
METRICS_TABLE = "ml.monitor_metrics"
REPORT_PREFIX = "ml/monitor"
_IGNORED = ("model_name", "model_version", "scored_at", "inference_id", "event_time", "event_date")


@dataclass(frozen=True)
class MonitorRun:
    """A monitoring run: the library's result, where it was written, what it read."""

    result: MonitorResult
    input: str
    report_uri: str
    tables: dict[str, int | None] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**self.result.to_dict(), "input": self.input, "report_uri": self.report_uri,
                "tables": dict(self.tables), "sources": list(self.sources)}


def load_baseline(registry: ModelRegistry, info: ModelVersionInfo) -> Baseline:
    """The baseline logged with ``info``'s run."""
    from lake.ml.monitor import BASELINE_ARTIFACT_PATH, Baseline

    if not info.run_id:
        raise BaselineMissingError(model=info.ref, artifact=BASELINE_ARTIFACT_PATH, run_id="-")
    client = registry.store.client()
    with registry.store.artifact_access(), tempfile.TemporaryDirectory(prefix="lakeforge-baseline-") as tmp:
        listed = {a.path for a in client.list_artifacts(info.run_id)}
        if BASELINE_ARTIFACT_PATH not in listed:
            raise BaselineMissingError(model=info.ref, artifact=BASELINE_ARTIFACT_PATH, run_id=info.run_id)
        local = client.download_artifacts(info.run_id, BASELINE_ARTIFACT_PATH, tmp)
        return Baseline.from_files(local)


def run_catalog_monitor(
    spark: SparkSession,
    store: CatalogStore,
    profile: StorageProfile,
    registry: ModelRegistry,
    model_ref: str,
    input_name: str,
    *,
    where: str | None = None,
    endpoint: str | None = None,
    ground_truth: str | None = None,
    on: Sequence[str] | None = None,
    dialect: str = "spark",
    delta: DeltaTableStore | None = None,
    write: bool = True,
) -> MonitorRun:
    """Monitor ``model_ref``'s version on ``input_name`` (a table/view, or ``captured``); see the module doc."""
    from lake.delta import DeltaTableStore
    from lake.ml.monitor import join_ground_truth, run_monitor
    from lake.ml.tracking import ModelRef

    delta = delta or DeltaTableStore(spark, profile)
    info = registry.resolve(model_ref)
    baseline = load_baseline(registry, info)
    sources: list[dict[str, Any]] = []
    if input_name == CAPTURED:
        name = capture_table_name(endpoint or ModelRef.parse(model_ref).name.replace("_", "-"))
        read = resolve_input(spark, store, profile, name, where=where, dialect=dialect, delta=delta)
        current = captured_frame(spark, read.df, baseline, registry, info)
        described = f"{CAPTURED} ({name})"
    else:
        read = resolve_input(spark, store, profile, input_name, where=where, dialect=dialect, delta=delta)
        current = read.df
        described = read.name
    sources += list(read.sources)
    if ground_truth is not None:
        if not on:
            raise InputResolutionError(name=ground_truth, reason="--ground-truth needs --on (the id column(s) to "
                                       "join on; inference_id for captured data)")
        if baseline.label is None:
            raise InputResolutionError(name=ground_truth, reason=f"the baseline of {info.ref} has no label column")
        truth = resolve_input(spark, store, profile, ground_truth, dialect=dialect, delta=delta)
        sources += list(truth.sources)
        current = join_ground_truth(current, truth.df, on=list(on), label=baseline.label)
    columns = set(current.columns)
    probability = "probability" if "probability" in columns and _is_double(current, "probability") else None
    prediction = "prediction" if "prediction" in columns and baseline.prediction is None else None
    result = run_monitor(baseline, current, model=info.name, version=info.version, probability=probability,
                         prediction=prediction, ignore_columns=[*_IGNORED, *(on or ())])
    report = _write_report(profile, result)
    tables: dict[str, int | None] = {}
    if write:
        tables = _write_tables(spark, store, profile, delta, result)
    return MonitorRun(result, described, report, tables, sources)


def _is_double(df: DataFrame, column: str) -> bool:
    return dict(df.dtypes).get(column) in ("double", "float")


def _write_report(profile: StorageProfile, result: MonitorResult) -> str:
    import pyarrow.fs as pafs

    from lake.ml.monitor import write_report

    uri = profile.resolve(f"{REPORT_PREFIX}/{result.model}/{result.run_id}")
    with tempfile.TemporaryDirectory(prefix="lakeforge-monitor-") as tmp:
        result.to_files(tmp)
        write_report(result, tmp, title=f"Model monitor: {result.model} version {result.version}")
        fs = profile.filesystem()
        target = profile.fs_path(uri)
        fs.create_dir(target, recursive=True)
        pafs.copy_files(tmp, target, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=fs)
    return uri


def _write_tables(spark: SparkSession, store: CatalogStore, profile: StorageProfile, delta: DeltaTableStore,
                  result: MonitorResult) -> dict[str, int | None]:
    from catalog.delta import register_delta_table
    from catalog.names import managed_location, parse_table_name

    written: dict[str, int | None] = {}
    for name, table in ((VIOLATIONS_TABLE, result.violations_arrow()), (METRICS_TABLE, result.drift_metrics_arrow())):
        target = parse_table_name(name)
        location = _location(store, profile, target) or profile.resolve(
            managed_location(store, target, profile.lake_uri))
        exists = _location(store, profile, target) is not None
        outcome = delta.write(spark.createDataFrame(table), location, mode="append",
                              app_id=f"lakeforge.monitor.{name}.{result.run_id}", app_version=0,
                              commit_metadata={"lakeforge.job": "monitor", "lakeforge.model":
                                               f"{result.model}:{result.version}",
                                               "lakeforge.monitor.run_id": result.run_id})
        register_delta_table(store, target.database, target.table, location, profile,
                             parameters={"lakeforge.job": "monitor"}, managed=None if exists else True)
        written[name] = outcome.version
    return written


def _location(store: CatalogStore, profile: StorageProfile, target: Any) -> str | None:
    from catalog.errors import EntityNotFoundError

    try:
        table = store.get_table(target.database, target.table)
    except EntityNotFoundError:
        return None
    return profile.resolve(table.location) if table.location else None


# -- captured requests → one row per scored record ---------------------------------------------


def captured_frame(spark: SparkSession, captured: DataFrame, baseline: Baseline, registry: ModelRegistry,
                   info: ModelVersionInfo) -> DataFrame:
    """Captured invocations as rows: the baseline's features, ``inference_id``, ``prediction``, ``probability``."""
    from pyspark.sql import functions as F

    rows = captured.where(F.col("model_name") == info.name).select(
        "inference_id", "model_version", "input_content_type", "input_data", "output_data").collect()
    if not rows:
        raise InputResolutionError(name=CAPTURED, reason=f"no captured requests for model {info.name} yet "
                                   "(serve it with --capture-fraction above 0 and send requests)")
    order = _csv_order(registry, info, rows)
    columns = {name: kind for name, kind in (baseline.info.columns or {}).items() if name in baseline.features}
    features = [f for f in baseline.features if f in columns]
    records: list[tuple[Any, ...]] = []
    binary = False
    for row in rows:
        inputs = _records(row["input_content_type"], row["input_data"], order)
        output = json.loads(row["output_data"] or "{}")
        predictions = output.get("predictions") or []
        probabilities = output.get("probabilities")
        binary = binary or bool(probabilities and len(probabilities[0]) == 2)
        for i, record in enumerate(inputs):
            ident = row["inference_id"] if len(inputs) == 1 else f"{row['inference_id']}:{i}"
            values = tuple(_typed(record.get(f), columns[f]) for f in features)
            prediction = predictions[i] if i < len(predictions) else None
            probability = probabilities[i][1] if probabilities and i < len(probabilities) and \
                len(probabilities[i]) == 2 else None
            records.append((*values, ident, None if prediction is None else float(prediction), probability))
    schema = ", ".join([*(f"`{f}` {columns[f]}" for f in features), "inference_id string", "prediction double",
                        "probability double"])
    frame = spark.createDataFrame(records, schema)
    return frame if binary else frame.drop("probability")


def _csv_order(registry: ModelRegistry, info: ModelVersionInfo, rows: Sequence[Any]) -> list[str]:
    if not any("csv" in str(r["input_content_type"]) for r in rows):
        return []
    from lake.ml.serving.registry import load_registered_export

    return list(load_registered_export(registry, info).signature.names)


def _records(content_type: str | None, text: str | None, order: Sequence[str]) -> list[dict[str, Any]]:
    body = text or ""
    if "csv" in str(content_type):
        return [dict(zip(order, (_csv_value(v) for v in line), strict=False))
                for line in csv.reader(io.StringIO(body)) if line]
    data = json.loads(body) if body.strip() else []
    if isinstance(data, dict) and "instances" in data:
        data = data["instances"]
    items = data if isinstance(data, list) else [data]
    return [item for item in items if isinstance(item, dict)]


def _csv_value(text: str) -> Any:
    try:
        return float(text) if text.strip() else None
    except ValueError:
        return text


def _typed(value: Any, kind: str) -> Any:
    if value is None:
        return None
    try:
        if kind in ("bigint", "int", "smallint", "tinyint"):
            return int(value)
        if kind in ("double", "float") or kind.startswith("decimal"):
            return float(value)
        if kind == "boolean":
            return value if isinstance(value, bool) else str(value).lower() in ("true", "1")
        return str(value)
    except (TypeError, ValueError):
        return None

