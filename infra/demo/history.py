"""The lake's run history written without Spark: ``ops.pipeline_runs`` / ``ops.step_runs`` appended by delta-rs.

:class:`~infra.pipelines.delta_history.DeltaRunHistory` appends each record through Spark, which
costs the runner process a JVM and a Python worker (measured in the demo: some 30-40 CPU-seconds
on 2 cores, and a first step delayed 10-15 s by the JVM's start) for a few dozen one-row
commits. :class:`ArrowRunHistory` appends the same rows, to the same tables, with the same
idempotent Delta transaction per run (``lakeforge-pipelines:<run id>``, version = the record's
``seq``), as one Arrow batch through ``deltalake.write_deltalake``; reading, logs and
registration are the parent's. The Arrow schemas below are those of the Spark writer (same
columns, types and nullability), so either writer appends to tables the other created.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import CommitFailedError

from infra.pipelines.delta_history import PIPELINE_RUNS_TABLE, STEP_RUNS_TABLE, DeltaRunHistory
from infra.pipelines.errors import HistoryUnavailableError
from infra.pipelines.history import PipelineRun, StepRun

__all__ = ["RUN_SCHEMA", "STEP_SCHEMA", "ArrowRunHistory"]

_TS = pa.timestamp("us", tz="UTC")
RUN_SCHEMA = pa.schema([
    pa.field("run_id", pa.string(), False), pa.field("pipeline", pa.string(), False),
    pa.field("logical_date", _TS, False), pa.field("ds", pa.string(), False),
    pa.field("status", pa.string(), False), pa.field("trigger", pa.string()),
    pa.field("started_at", _TS), pa.field("ended_at", _TS), pa.field("error", pa.string()),
    pa.field("owner", pa.string()), pa.field("seq", pa.int64(), False), pa.field("recorded_at", _TS, False),
])
STEP_SCHEMA = pa.schema([
    pa.field("run_id", pa.string(), False), pa.field("pipeline", pa.string(), False),
    pa.field("logical_date", _TS, False), pa.field("ds", pa.string(), False),
    pa.field("step", pa.string(), False), pa.field("status", pa.string(), False),
    pa.field("attempts", pa.int32(), False), pa.field("started_at", _TS), pa.field("ended_at", _TS),
    pa.field("exit_code", pa.int32()), pa.field("error", pa.string()), pa.field("error_type", pa.string()),
    pa.field("transient", pa.bool_()), pa.field("log_location", pa.string()), pa.field("command", pa.string()),
    pa.field("seq", pa.int64(), False), pa.field("recorded_at", _TS, False),
])
_ATTEMPTS = 4


class ArrowRunHistory(DeltaRunHistory):
    """:class:`DeltaRunHistory` whose records are appended by delta-rs (no SparkSession in this process)."""

    def _append_run(self, run: PipelineRun) -> None:
        row = {**{k: getattr(run, k) for k in ("run_id", "pipeline", "logical_date", "ds", "trigger", "started_at",
                                              "ended_at", "error", "owner", "seq")},
               "status": run.status.value, "recorded_at": datetime.now(UTC)}
        self._append(PIPELINE_RUNS_TABLE, RUN_SCHEMA, row, run.run_id, run.seq)

    def _append_step(self, step: StepRun) -> None:
        row = {**{k: getattr(step, k) for k in ("run_id", "pipeline", "logical_date", "ds", "step", "attempts",
                                               "started_at", "ended_at", "exit_code", "error", "error_type",
                                               "transient", "log_location", "command", "seq")},
               "status": step.status.value, "recorded_at": datetime.now(UTC)}
        self._append(STEP_RUNS_TABLE, STEP_SCHEMA, row, step.run_id, step.seq)

    def _append(self, table: str, schema: pa.Schema, row: dict[str, Any], run_id: str, seq: int) -> None:
        """One idempotent append: skipped when the run's transaction already reached ``seq``."""
        uri = self.profile.resolve(table)
        options = self.profile.storage_options() or None
        app_id = f"lakeforge-pipelines:{run_id}"
        data = pa.Table.from_pylist([row], schema=schema)
        properties = CommitProperties(custom_metadata={"lakeforge.job": "pipelines"},
                                      app_transactions=[Transaction(app_id, seq)])
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                target: DeltaTable | str = uri
                if DeltaTable.is_deltatable(uri, storage_options=options):
                    snapshot = DeltaTable(uri, storage_options=options)
                    done = snapshot.transaction_version(app_id)
                    if done is not None and done >= seq:
                        return
                    target = snapshot
                write_deltalake(target, data, mode="append", storage_options=options,
                                commit_properties=properties)
                return
            except (CommitFailedError, OSError) as exc:
                if attempt == _ATTEMPTS:
                    raise HistoryUnavailableError(uri, " ".join(str(exc).split())[:300]) from exc
                time.sleep(0.2 * 2 ** attempt)
