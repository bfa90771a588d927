"""Train a spec over the catalog: resolve its source, check quality, train, write results back to the lake.

``train_spec`` reads ``source``/``sql`` through the catalog (:mod:`catalog.ml.source`),
refuses a source whose tables' latest quality run failed (``allow_failed_quality`` overrides),
then runs :func:`lake.ml.train` with the lineage of what it read; the run's row, metrics and
trials go to ``ml.runs``/``ml.metrics``/``ml.trials`` whether it FINISHED or FAILED, and a
registered version's test predictions to ``ml.predictions`` (:mod:`catalog.ml.results`).

``reproduce(ref)`` retrains a registered version on exactly the data it read: its recorded
spec (``spec.json``), the recorded expanded SQL, every Delta table time-travelled to its
recorded version, the same seed. The new version's metrics equal the original's.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.ml.errors import ReproduceError
from catalog.ml.results import ResultsWriter
from catalog.ml.source import TrainingSource, resolve_lineage, resolve_source

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from catalog.stores.base import CatalogStore
    from lake.delta import DeltaTableStore
    from lake.ml.spec import TrainSpec
    from lake.ml.tracking import Lineage, ModelVersionInfo, TrackingStore
    from lake.ml.training import TrainProgress, TrainResult
    from lake.storage import StorageProfile

__all__ = ["REPRODUCES_TAG", "Reproduction", "TrainingEnv", "check_quality", "recorded_spec", "reproduce",
           "train_spec"]

REPRODUCES_TAG = "lakeforge.reproduces"
SOURCE_KIND_TAG = "lakeforge.source.kind"


@dataclass
class TrainingEnv:
    """What training over the catalog needs: Spark, the catalog, the lake and the tracking store."""

    spark: SparkSession
    store: CatalogStore
    profile: StorageProfile
    tracking: TrackingStore
    delta: DeltaTableStore | None = None
    export_onnx: bool = True

    def __post_init__(self) -> None:
        from lake.delta import DeltaTableStore

        self.delta = self.delta or DeltaTableStore(self.spark, self.profile)

    @property
    def results(self) -> ResultsWriter:
        return ResultsWriter(self.spark, self.store, self.profile, delta=self.delta)


@dataclass(frozen=True)
class Reproduction:
    """A reproduced version: the original, the new run, and whether the metrics agree."""

    original: ModelVersionInfo
    original_metrics: dict[str, dict[str, float]]
    result: TrainResult
    tolerance: float

    @property
    def differences(self) -> dict[str, dict[str, tuple[float | None, float | None]]]:
        """``{split: {metric: (original, reproduced)}}`` for every metric that differs beyond the tolerance."""
        out: dict[str, dict[str, tuple[float | None, float | None]]] = {}
        for split in sorted(set(self.original_metrics) | set(self.result.metrics)):
            old, new = self.original_metrics.get(split, {}), self.result.metrics.get(split, {})
            for metric in sorted(set(old) | set(new)):
                a, b = old.get(metric), new.get(metric)
                if a is None or b is None or abs(a - b) > self.tolerance * max(1.0, abs(a)):
                    out.setdefault(split, {})[metric] = (a, b)
        return out

    @property
    def same_metrics(self) -> bool:
        return not self.differences


def check_quality(env: TrainingEnv, source: TrainingSource, *, allow_failed: bool = False) -> list[dict[str, Any]]:
    """The latest quality status of every table the source read; a failed one raises unless ``allow_failed``."""
    from catalog.etl import quality_gate

    statuses: list[dict[str, Any]] = []
    for table in source.tables:
        statuses += quality_gate(env.store, env.profile, table, allow_failed=allow_failed)
    return statuses


def train_spec(
    spec: TrainSpec,
    env: TrainingEnv,
    *,
    allow_failed_quality: bool = False,
    progress: Callable[[TrainProgress], None] | None = None,
    on_end: Callable[[TrainResult], None] | None = None,
) -> TrainResult:
    """Resolve, gate, train and record ``spec`` (see the module doc); ``on_end`` sees FAILED runs too."""
    source = resolve_source(spec, env.spark, env.store, env.profile, delta=env.delta)
    check_quality(env, source, allow_failed=allow_failed_quality)
    return _train(spec, source, env, progress=progress, on_end=on_end)


def reproduce(
    ref: str,
    env: TrainingEnv,
    *,
    progress: Callable[[TrainProgress], None] | None = None,
    on_end: Callable[[TrainResult], None] | None = None,
    tolerance: float = 1e-9,
) -> Reproduction:
    """Retrain version ``ref`` (``NAME:VERSION`` or ``NAME@ALIAS``) on exactly what it read; a new version.

    The quality gate is not applied: the data is the data the version was trained on, whatever
    the tables' quality runs say today.
    """
    from lake.ml.tracking import ModelRegistry

    registry = ModelRegistry(env.tracking)
    info = registry.resolve(ref)
    details = registry.show(info.ref)
    lineage = registry.lineage_of(info.ref)
    spec = recorded_spec(env.tracking, info)
    _check_reproducible(info.ref, lineage)
    source = resolve_lineage(lineage, env.spark, env.store, env.profile, delta=env.delta)
    result = _train(spec, source, env, progress=progress, on_end=on_end, reproduces=info.ref)
    return Reproduction(info, {s: dict(m) for s, m in details.metrics.items()}, result, tolerance)


def recorded_spec(tracking: TrackingStore, info: ModelVersionInfo) -> TrainSpec:
    """The spec a version's run trained with (its ``spec.json`` artifact)."""
    from lake.ml.spec import TrainSpec
    from lake.ml.training import SPEC_ARTIFACT

    if not info.run_id:
        raise ReproduceError(ref=info.ref, reason="the version has no training run")
    client = tracking.client()
    with tracking.artifact_access(), tempfile.TemporaryDirectory(prefix="lakeforge-spec-") as tmp:
        if SPEC_ARTIFACT not in {a.path for a in client.list_artifacts(info.run_id)}:
            raise ReproduceError(ref=info.ref, reason=f"its run {info.run_id} has no {SPEC_ARTIFACT} (it was not "
                                 "trained by lake train)")
        local = client.download_artifacts(info.run_id, SPEC_ARTIFACT, tmp)
        data = json.loads(Path(local).read_text(encoding="utf-8"))
    return TrainSpec.from_mapping(data)


def _check_reproducible(ref: str, lineage: Lineage) -> None:
    raw = [t.name for t in lineage.tables if t.version is None]
    if raw:
        raise ReproduceError(ref=ref, reason=f"it read raw (non-Delta) tables {', '.join(raw)}, which keep no "
                             "versions to travel back to; train on Delta tables (e.g. the bronze/silver tables) "
                             "to make a model reproducible")


def _train(
    spec: TrainSpec,
    source: TrainingSource,
    env: TrainingEnv,
    *,
    progress: Callable[[TrainProgress], None] | None,
    on_end: Callable[[TrainResult], None] | None = None,
    reproduces: str | None = None,
) -> TrainResult:
    from lake.ml.tracking import Tracker
    from lake.ml.training import TrainOptions, train

    writer = env.results

    def predictions(run_id: str, version: int, rows: DataFrame) -> None:
        writer.predictions(run_id, spec.name, version, rows)

    def record(result: TrainResult) -> None:
        if on_end is not None:
            on_end(result)
        writer.record(result, reproduces=reproduces)

    tags = {SOURCE_KIND_TAG: source.kind, **({REPRODUCES_TAG: reproduces} if reproduces else {})}
    options = TrainOptions(tags=tags, export_onnx=env.export_onnx, on_predictions=predictions,
                           run_name=f"reproduce {reproduces}" if reproduces else None)
    return train(spec, source.df, source.lineage, tracker=Tracker(env.tracking), spark=env.spark, options=options,
                 progress=progress, on_end=record)
