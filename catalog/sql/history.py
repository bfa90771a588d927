"""The query history: one row per statement run, in a Delta table registered in the catalog.

The table lives at ``<lake>/_meta/query_history`` and is registered as
``meta.query_history``, so it can itself be queried with ``lake sql``. Rows are appended with
``deltalake`` directly (a small Arrow batch, no Spark job); concurrent writers are safe
because delta-rs commits with conditional PUTs and retries.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from catalog.names import TableName

if TYPE_CHECKING:
    from catalog.stores.base import CatalogStore
    from lake.storage import StorageProfile

__all__ = ["HISTORY_LOCATION", "HISTORY_TABLE", "QueryHistory", "QueryRecord"]

HISTORY_TABLE = TableName("meta", "query_history")
HISTORY_LOCATION = "_meta/query_history"
_log = logging.getLogger(__name__)

SCHEMA = pa.schema([
    pa.field("query_id", pa.string(), nullable=False),
    pa.field("submitted_at", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("state", pa.string(), nullable=False),
    pa.field("statement_type", pa.string()),
    pa.field("query", pa.string()),
    pa.field("dialect", pa.string()),
    pa.field("database", pa.string()),
    pa.field("duration_ms", pa.int64()),
    pa.field("rows", pa.int64()),
    pa.field("bytes_scanned", pa.int64()),
    pa.field("files_scanned", pa.int64()),
    pa.field("result_location", pa.string()),
    pa.field("sources", pa.string()),
    pa.field("error", pa.string()),
])


@dataclass(frozen=True)
class QueryRecord:
    """What one statement did: text, state, duration, rows and bytes scanned."""

    query_id: str
    submitted_at: datetime
    state: str
    statement_type: str | None
    query: str
    dialect: str
    database: str
    duration_ms: int
    rows: int | None = None
    bytes_scanned: int = 0
    files_scanned: int = 0
    result_location: str | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def to_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["sources"] = json.dumps(self.sources, sort_keys=True)
        moment = self.submitted_at
        row["submitted_at"] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return row


class QueryHistory:
    """Append to and read the query-history Delta table of one lake."""

    def __init__(self, store: CatalogStore, profile: StorageProfile, *,
                 location: str = HISTORY_LOCATION, table: TableName = HISTORY_TABLE) -> None:
        self.store = store
        self.profile = profile
        self.uri = profile.resolve(location)
        self.table = table
        self._registered = False

    def _opts(self) -> dict[str, str] | None:
        return self.profile.storage_options() or None

    def record(self, records: Sequence[QueryRecord]) -> None:
        """Append ``records`` (one commit) and make sure the table is in the catalog."""
        from deltalake import write_deltalake

        if not records:
            return
        batch = pa.Table.from_pylist([r.to_row() for r in records], schema=SCHEMA)
        write_deltalake(self.uri, batch, mode="append", storage_options=self._opts())
        self._register()

    def _register(self) -> None:
        """Register the table once per process (again if the catalog points at another lake)."""
        if self._registered:
            return
        from catalog.delta import register_delta_table

        db, name = self.table
        current = self.store.get_table(db, name) if self.store.table_exists(db, name) else None
        if current is None or (current.location or "").rstrip("/") != self.uri.rstrip("/"):
            register_delta_table(
                self.store, self.table.database, self.table.table, self.uri, self.profile,
                description="lakeforge SQL query history (one row per statement)",
            )
        self._registered = True

    def read(self) -> pa.Table:
        """The whole history as Arrow (empty if nothing was recorded yet)."""
        from deltalake import DeltaTable

        from lake.delta.arrow_read import read_arrow

        if not DeltaTable.is_deltatable(self.uri, storage_options=self._opts()):
            return SCHEMA.empty_table()
        return read_arrow(self.uri, self.profile)

    def recent(self, limit: int = 20, *, query_id: str | None = None) -> list[dict[str, Any]]:
        """The newest ``limit`` records (or the one with ``query_id``), newest first."""
        data = self.read()
        if query_id is not None:
            data = data.filter(pc.equal(data["query_id"], query_id))
        data = data.sort_by([("submitted_at", "descending")]).slice(0, limit)
        return data.to_pylist()
