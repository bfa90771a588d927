"""Run history in the lake: ``ops.pipeline_runs`` and ``ops.step_runs`` Delta tables, step logs.

Records are appended with :class:`~lake.delta.store.DeltaTableStore` (Spark writes the file,
delta-rs commits) under an idempotent application id per run (``lakeforge-pipelines:<run id>``,
version = the record's ``seq``), so a retried write never appends a record twice. Reads need
no Spark: delta-rs lists the snapshot's files and pyarrow reads only the files not read
before. Layout under the lake root::

    _pipelines/pipeline_runs/     Delta, registered as ops.pipeline_runs
    _pipelines/step_runs/         Delta, registered as ops.step_runs
    _pipelines/logs/<pipeline>/<ds>/<run_id>/<step>.log
    _pipelines/scheduler/state.json   the scheduler's last ticks
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from deltalake import DeltaTable

from infra.pipelines.errors import HistoryUnavailableError
from infra.pipelines.history import HistoryBase, PipelineRun, RunStatus, StepRun, StepStatus, utc
from lake.errors import is_transient
from lake.storage import StorageProfile

if TYPE_CHECKING:
    from lake.config import Settings
    from lake.delta.store import DeltaTableStore

__all__ = ["LOGS_PREFIX", "PIPELINE_RUNS_TABLE", "STEP_RUNS_TABLE", "DeltaRunHistory", "catalog_tables"]

PIPELINE_RUNS_TABLE = "_pipelines/pipeline_runs"
STEP_RUNS_TABLE = "_pipelines/step_runs"
LOGS_PREFIX = "_pipelines/logs"
SCHEDULER_STATE = "_pipelines/scheduler/state.json"
_WRITE_ATTEMPTS = 4
_log = logging.getLogger(__name__)

_RUN_COLUMNS = ("run_id", "pipeline", "logical_date", "ds", "status", "trigger", "started_at", "ended_at",
                "error", "owner", "seq", "recorded_at")
_STEP_COLUMNS = ("run_id", "pipeline", "logical_date", "ds", "step", "status", "attempts", "started_at",
                 "ended_at", "exit_code", "error", "error_type", "transient", "log_location", "command", "seq",
                 "recorded_at")


def catalog_tables() -> dict[str, str]:
    """``{"ops.pipeline_runs": location, …}`` relative to the lake root."""
    return {"ops.pipeline_runs": PIPELINE_RUNS_TABLE, "ops.step_runs": STEP_RUNS_TABLE}


def _run_schema() -> Any:
    from pyspark.sql import types as T

    return T.StructType([
        T.StructField("run_id", T.StringType(), False), T.StructField("pipeline", T.StringType(), False),
        T.StructField("logical_date", T.TimestampType(), False), T.StructField("ds", T.StringType(), False),
        T.StructField("status", T.StringType(), False), T.StructField("trigger", T.StringType(), True),
        T.StructField("started_at", T.TimestampType(), True), T.StructField("ended_at", T.TimestampType(), True),
        T.StructField("error", T.StringType(), True), T.StructField("owner", T.StringType(), True),
        T.StructField("seq", T.LongType(), False), T.StructField("recorded_at", T.TimestampType(), False),
    ])


def _step_schema() -> Any:
    from pyspark.sql import types as T

    return T.StructType([
        T.StructField("run_id", T.StringType(), False), T.StructField("pipeline", T.StringType(), False),
        T.StructField("logical_date", T.TimestampType(), False), T.StructField("ds", T.StringType(), False),
        T.StructField("step", T.StringType(), False), T.StructField("status", T.StringType(), False),
        T.StructField("attempts", T.IntegerType(), False), T.StructField("started_at", T.TimestampType(), True),
        T.StructField("ended_at", T.TimestampType(), True), T.StructField("exit_code", T.IntegerType(), True),
        T.StructField("error", T.StringType(), True), T.StructField("error_type", T.StringType(), True),
        T.StructField("transient", T.BooleanType(), True), T.StructField("log_location", T.StringType(), True),
        T.StructField("command", T.StringType(), True), T.StructField("seq", T.LongType(), False),
        T.StructField("recorded_at", T.TimestampType(), False),
    ])


class _TableCache:
    """The rows of one Delta table, re-reading only files added since the last look."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.files: dict[str, list[dict[str, Any]]] = {}

    def rows(self, uri: str, profile: StorageProfile) -> list[dict[str, Any]]:
        options = profile.storage_options() or None
        if not DeltaTable.is_deltatable(uri, storage_options=options):
            return []
        dt = DeltaTable(uri, storage_options=options)
        if dt.version() != self.version:
            paths = pa.table(dt.get_add_actions(flatten=True)).column("path").to_pylist()
            fs, root = profile.filesystem(), profile.fs_path(dt.table_uri).rstrip("/")
            self.files = {
                p: self.files[p] if p in self.files
                else pq.read_table(f"{root}/{unquote(p)}", filesystem=fs).to_pylist()
                for p in paths
            }
            self.version = dt.version()
        del dt
        return [row for rows in self.files.values() for row in rows]


class DeltaRunHistory(HistoryBase):
    """:class:`~infra.pipelines.history.RunHistory` in the lake of ``profile``.

    ``store`` writes the records; without one, a SparkSession (``local[1]``) is built from
    ``settings`` at the first write, so reading history never starts a JVM. With ``settings``,
    both tables are registered in the catalog after each finished run.
    """

    def __init__(
        self,
        profile: StorageProfile,
        *,
        settings: Settings | None = None,
        store: DeltaTableStore | None = None,
        register: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.profile = profile
        self.settings = settings
        self._store = store
        self._register = register and settings is not None
        self._sleep = sleep
        self._runs = _TableCache()
        self._steps = _TableCache()

    @property
    def store(self) -> DeltaTableStore:
        if self._store is None:
            if self.settings is None:
                raise ValueError("DeltaRunHistory needs settings or a store to write records")
            from lake.delta.store import DeltaTableStore
            from lake.spark.session import build_spark

            spark = build_spark(self.settings, self.profile, app_name="lakeforge-pipelines", master="local[1]")
            self._store = DeltaTableStore(spark, self.profile)
        return self._store

    # -------------------------------------------------------------- records
    def _write(self, table: str, schema: Any, row: tuple[Any, ...], run_id: str, seq: int) -> None:
        store = self.store
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                df = store.spark.createDataFrame([row], schema).coalesce(1)
                store.write(df, table, mode="append", app_id=f"lakeforge-pipelines:{run_id}", app_version=seq,
                            commit_metadata={"lakeforge.job": "pipelines"})
                return
            except Exception as exc:
                if not is_transient(exc) or attempt == _WRITE_ATTEMPTS:
                    if is_transient(exc):
                        raise HistoryUnavailableError(self.profile.resolve(table), str(exc)) from exc
                    raise
                self._sleep(0.2 * 2 ** attempt)

    def _append_run(self, run: PipelineRun) -> None:
        row = (run.run_id, run.pipeline, run.logical_date, run.ds, run.status.value, run.trigger, run.started_at,
               run.ended_at, run.error, run.owner, run.seq, datetime.now(UTC))
        self._write(PIPELINE_RUNS_TABLE, _run_schema(), row, run.run_id, run.seq)

    def _append_step(self, step: StepRun) -> None:
        row = (step.run_id, step.pipeline, step.logical_date, step.ds, step.step, step.status.value, step.attempts,
               step.started_at, step.ended_at, step.exit_code, step.error, step.error_type, step.transient,
               step.log_location, step.command, step.seq, datetime.now(UTC))
        self._write(STEP_RUNS_TABLE, _step_schema(), row, step.run_id, step.seq)

    def _all_runs(self) -> list[PipelineRun]:
        return [_run_from_row(r) for r in self._read(self._runs, PIPELINE_RUNS_TABLE)]

    def _all_steps(self) -> list[StepRun]:
        return [_step_from_row(r) for r in self._read(self._steps, STEP_RUNS_TABLE)]

    def _read(self, cache: _TableCache, table: str) -> list[dict[str, Any]]:
        try:
            return cache.rows(self.profile.resolve(table), self.profile)
        except OSError as exc:
            raise HistoryUnavailableError(self.profile.resolve(table), str(exc).splitlines()[0]) from None

    def run_finished(self, run: PipelineRun) -> None:
        if not self._register or self.settings is None:
            return
        from catalog.registration import register_job_tables

        try:
            register_job_tables(self.settings, self.profile, catalog_tables(), job="pipelines")
        except Exception as exc:  # the run's outcome is recorded; a catalog hiccup must not change it
            _log.warning("could not register the pipeline history tables in the catalog: %s", exc)

    # ----------------------------------------------------------------- logs
    def log_location(self, run: PipelineRun, step: str) -> str:
        return self.profile.resolve(f"{LOGS_PREFIX}/{run.pipeline}/{run.ds}/{run.run_id}/{step}.log")

    def store_log(self, run: PipelineRun, step: str, local_path: Path) -> str:
        location = self.log_location(run, step)
        data = local_path.read_bytes() if local_path.exists() else b""
        _put(self.profile, location, data)
        return location

    def read_log(self, location: str) -> str:
        if Path(location).is_file():
            return Path(location).read_text(encoding="utf-8", errors="replace")
        fs = self.profile.filesystem()
        with fs.open_input_stream(self.profile.fs_path(location)) as fh:
            return bytes(fh.read()).decode(errors="replace")

    # ------------------------------------------------------ scheduler state
    def scheduler_state(self) -> dict[str, Any]:
        fs, path = self.profile.filesystem(), self.profile.fs_path(self.profile.resolve(SCHEDULER_STATE))
        if fs.get_file_info(path).type != pafs.FileType.File:
            return {}
        with fs.open_input_stream(path) as fh:
            data = json.loads(bytes(fh.read()).decode())
        return data if isinstance(data, dict) else {}

    def save_scheduler_state(self, state: Mapping[str, Any]) -> None:
        _put(self.profile, self.profile.resolve(SCHEDULER_STATE), json.dumps(dict(state), indent=2).encode())


def _put(profile: StorageProfile, location: str, data: bytes) -> None:
    """Write ``data`` at ``location``: one PUT on S3, write-then-rename on a local lake."""
    fs, path = profile.filesystem(), profile.fs_path(location)
    if profile.kind == "local":
        fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        tmp = f"{path}.{uuid.uuid4().hex}.tmp"
        with fs.open_output_stream(tmp) as out:
            out.write(data)
        fs.move(tmp, path)
        return
    with fs.open_output_stream(path) as out:
        out.write(data)


def _run_from_row(row: Mapping[str, Any]) -> PipelineRun:
    return PipelineRun(
        run_id=row["run_id"], pipeline=row["pipeline"], logical_date=utc(row["logical_date"]),
        status=RunStatus(row["status"]), trigger=row["trigger"] or "", started_at=utc(row["started_at"]),
        ended_at=utc(row["ended_at"]) if row["ended_at"] else None, error=row["error"], owner=row["owner"],
        seq=int(row["seq"]),
    )


def _step_from_row(row: Mapping[str, Any]) -> StepRun:
    return StepRun(
        run_id=row["run_id"], pipeline=row["pipeline"], logical_date=utc(row["logical_date"]), step=row["step"],
        status=StepStatus(row["status"]), attempts=int(row["attempts"]),
        started_at=utc(row["started_at"]) if row["started_at"] else None,
        ended_at=utc(row["ended_at"]) if row["ended_at"] else None, exit_code=row["exit_code"],
        error=row["error"], error_type=row["error_type"], transient=row["transient"],
        log_location=row["log_location"], command=row["command"], seq=int(row["seq"]),
    )
