"""Batch predict over the catalog: a registered model scores a table or view into a Delta table.

``run_batch_predict`` resolves the model version in the registry, reads ``--input`` (a table
or view, optionally ``--where``-filtered) through the SQL engine's resolver, scores it with
:func:`lake.ml.batch.batch_transform`, writes the result through the Delta table store and
registers it in the catalog with its lineage (model name and version, every input Delta
table's version) as table parameter ``lakeforge.lineage`` and in the Delta commit metadata.

Idempotent: the run's key is a digest of (model, version, what was read, the options).
``append`` commits with the Delta transaction ``(lakeforge.predict.<key>, 0)``, so a re-run
over the same input versions adds nothing, even concurrently. ``overwrite`` is a no-op when
the table's latest commit already holds the same key.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from catalog.inference.errors import OutputTableError
from catalog.inference.inputs import ResolvedInput, resolve_input

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from catalog.stores.base import CatalogStore
    from lake.delta import DeltaTableStore
    from lake.ml.tracking import ModelRegistry
    from lake.storage import StorageProfile

__all__ = ["KEY_METADATA", "MODES", "PredictOptions", "PredictResult", "app_id_for", "run_batch_predict"]

MODES = ("append", "overwrite")
KEY_METADATA = "lakeforge.predict.key"
LINEAGE_PARAM = "lakeforge.lineage"
JOB_NAME = "batch_predict"


@dataclass(frozen=True)
class PredictOptions:
    """What ``lake predict`` takes besides the model, input and output names."""

    where: str | None = None
    mode: Literal["append", "overwrite"] = "append"
    keep: Sequence[str] | None = None
    input_columns: Sequence[str] | None = None
    join: Literal["input", "id"] = "input"
    id_col: str | None = None
    task: str | None = None
    dialect: str = "spark"

    def key_fields(self) -> dict[str, Any]:
        return {"where": self.where, "mode": self.mode, "keep": list(self.keep) if self.keep else None,
                "input_columns": list(self.input_columns) if self.input_columns else None,
                "join": self.join, "id_col": self.id_col, "task": self.task}


@dataclass(frozen=True)
class PredictResult:
    """What a batch predict did: the version used, what it read, what it committed."""

    model: str
    version: int
    input: str
    output: str
    location: str
    mode: str
    committed: bool
    table_version: int | None
    rows: int
    app_id: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def app_id_for(model: str, version: int, read: ResolvedInput, options: PredictOptions) -> str:
    """The Delta transaction app id of a run: a digest of the model version, what was read and the options."""
    payload = {"model": model, "version": version, "input": read.fingerprint(), "options": options.key_fields()}
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]
    return f"lakeforge.predict.{digest}"


def run_batch_predict(
    spark: SparkSession,
    store: CatalogStore,
    profile: StorageProfile,
    registry: ModelRegistry,
    model_ref: str,
    input_name: str,
    output_name: str,
    options: PredictOptions | None = None,
    *,
    delta: DeltaTableStore | None = None,
) -> PredictResult:
    """Score ``input_name`` with ``model_ref`` (``NAME``, ``NAME:V``, ``NAME@ALIAS``) into ``output_name``."""
    from catalog.delta import register_delta_table
    from lake.delta import DeltaTableStore
    from lake.ml.batch import batch_transform

    options = options or PredictOptions()
    started = time.perf_counter()
    if options.mode not in MODES:
        raise OutputTableError(name=output_name, reason=f"unknown mode {options.mode!r}; valid: {', '.join(MODES)}")
    delta = delta or DeltaTableStore(spark, profile)
    target, location, exists = _output_location(store, profile, output_name)
    info = registry.resolve(model_ref)
    read = resolve_input(spark, store, profile, input_name, where=options.where, dialect=options.dialect,
                         delta=delta)
    if target == read.name or any(s.get("table") == str(target) for s in read.sources):
        raise OutputTableError(name=output_name, reason="it is also read by the input; write to another table")
    app_id = app_id_for(info.name, info.version, read, options)
    sources = list(read.sources)

    def result(committed: bool, version: int | None, rows: int) -> PredictResult:
        return PredictResult(info.name, info.version, read.name, str(target), location, options.mode, committed,
                             version, rows, app_id, sources, round(time.perf_counter() - started, 3))

    if options.mode == "overwrite" and exists and _latest_key(delta, location) == app_id:
        return result(False, _version(delta, location), 0)
    model = registry.load_spark_model(info.ref)
    scored = batch_transform(model, read.df, model_name=info.name, version=info.version,
                             input_columns=options.input_columns, join=options.join, id_col=options.id_col,
                             keep=options.keep, task=options.task, scored_at=datetime.now(UTC))
    lineage = {"model": info.name, "version": info.version, "run_id": info.run_id, "input": read.name,
               "where": read.where, "sql": read.sql, "sources": sources, "app_id": app_id}
    metadata = {KEY_METADATA: app_id, "lakeforge.job": JOB_NAME, "lakeforge.model": info.ref,
                "lakeforge.sources": json.dumps(sources, sort_keys=True)}
    append = options.mode == "append"  # overwrite is deduplicated by the latest commit's key instead
    written = delta.write(scored, location, mode=options.mode, commit_metadata=metadata,
                          app_id=app_id if append else None, app_version=0 if append else None)
    register_delta_table(store, target.database, target.table, location, profile,
                         parameters={LINEAGE_PARAM: json.dumps(lineage, sort_keys=True, default=str),
                                     "lakeforge.job": JOB_NAME},
                         managed=None if exists else True)
    return result(written.committed, written.version, written.rows)


def _output_location(store: CatalogStore, profile: StorageProfile, name: str) -> tuple[Any, str, bool]:
    """The output's ``TableName``, Delta location and whether the table exists (registered)."""
    from catalog.errors import EntityNotFoundError
    from catalog.names import managed_location, parse_table_name
    from catalog.sql.resolve import table_kind
    from lake.errors import LakeforgeError

    try:
        target = parse_table_name(name)
    except LakeforgeError as exc:
        raise OutputTableError(name=name, reason=f"{exc}; give it as db.table") from None
    try:
        table = store.get_table(target.database, target.table)
    except EntityNotFoundError:
        return target, profile.resolve(managed_location(store, target, profile.lake_uri)), False
    kind = table_kind(table)
    if kind != "delta" or not table.location:
        raise OutputTableError(name=str(target), reason=f"it is a {kind} {'view' if kind == 'view' else 'table'}; "
                               "predictions are written to a Delta table (choose a new name)")
    return target, profile.resolve(table.location), True


def _latest_key(delta: DeltaTableStore, location: str) -> str | None:
    history = delta.history(location, limit=1)
    return str(history[0].get(KEY_METADATA)) if history and history[0].get(KEY_METADATA) else None


def _version(delta: DeltaTableStore, location: str) -> int:
    return int(delta.snapshot(location).version())
