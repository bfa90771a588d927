"""The ``quality.results`` Delta table: one row per rule per run, appended without Spark.

Appends go through ``deltalake`` directly (a handful of rows; no Spark job) and may carry a
Delta transaction ``(app id, version)``: an append whose transaction is already in the log
is skipped, so a rerun after a crash never records a run twice. Writers: ETL runs (app id
``etl:<table>:results``, version = the run's generation) and the ingest job (its own app id,
version = the micro-batch id, for the ``kind="raw"`` rows of the bronze table).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError
from deltalake.transaction import CommitProperties, Transaction

from lake.etl.spec import RESULTS_LOCATION
from lake.quality import RESULTS_ARROW_SCHEMA, QualityResult, results_to_arrow
from lake.storage import StorageProfile

__all__ = ["RESULTS_CATALOG_NAME", "ResultsTable"]

RESULTS_CATALOG_NAME = "quality.results"
_CHECKPOINT_INTERVAL = "10"  # a commit per run and per ingest batch adds up
_CREATE_ATTEMPTS = 3


class ResultsTable:
    """Append to and read the results table at ``location`` (lake-relative or a URI)."""

    def __init__(self, profile: StorageProfile, location: str = RESULTS_LOCATION) -> None:
        self.profile = profile
        self.uri = profile.resolve(location)
        self._options = profile.storage_options() or None

    def exists(self) -> bool:
        return DeltaTable.is_deltatable(self.uri, storage_options=self._options)

    def _open(self) -> DeltaTable | None:
        return DeltaTable(self.uri, storage_options=self._options) if self.exists() else None

    def txn_version(self, app_id: str) -> int | None:
        dt = self._open()
        return None if dt is None else dt.transaction_version(app_id)

    def append(
        self,
        results: Sequence[QualityResult],
        *,
        app_id: str | None = None,
        version: int | None = None,
        metadata: dict[str, str] | None = None,
    ) -> bool:
        """Append ``results``; ``False`` when the transaction ``(app_id, version)`` is already there."""
        if (app_id is None) != (version is None):
            raise ValueError("app_id and version go together")
        data = results_to_arrow(results)
        txns = [Transaction(app_id, version)] if app_id is not None and version is not None else None
        props = CommitProperties(app_transactions=txns, custom_metadata=metadata, max_commit_retries=50)
        for attempt in range(_CREATE_ATTEMPTS):
            dt = self._open()
            if dt is not None and app_id is not None and version is not None:
                done = dt.transaction_version(app_id)
                if done is not None and done >= version:
                    return False
            try:
                write_deltalake(
                    dt if dt is not None else self.uri, data, mode="append", storage_options=self._options,
                    commit_properties=props,
                    configuration=None if dt is not None else {"delta.checkpointInterval": _CHECKPOINT_INTERVAL},
                )
                return True
            except DeltaError:
                if dt is not None or attempt == _CREATE_ATTEMPTS - 1:
                    raise
                time.sleep(0.05)  # another writer created the table first: append to theirs
        return False

    def read(self, table: str | None = None) -> pa.Table:
        """Every result row (optionally of one ``table``), schema :data:`RESULTS_ARROW_SCHEMA`."""
        from lake.delta.arrow_read import read_arrow

        if not self.exists():
            return RESULTS_ARROW_SCHEMA.empty_table()
        rows = read_arrow(self.uri, self.profile)
        if table is not None:
            rows = rows.filter(pc.equal(rows["table"], table))
        return rows

    def runs(self, table: str) -> list[dict[str, Any]]:
        """The runs recorded for ``table``, newest first: run id, time and its result rows."""
        rows = self.read(table).to_pylist()
        by_run: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_run.setdefault(row["run_id"], []).append(row)
        runs = [{"run_id": run_id, "recorded_at": max(r["recorded_at"] for r in items), "results": items}
                for run_id, items in by_run.items()]
        return sorted(runs, key=lambda r: (r["recorded_at"], r["run_id"]), reverse=True)
