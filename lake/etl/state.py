"""An ETL target's state, read from its Delta log: generation, bookmarks, definition.

Every ETL commit of the target carries one Delta transaction per source — app id
``etl:<target>:<source>``, version = the source version processed (the bookmark, as AWS Glue
job bookmarks, on Delta) — and the run's generation under ``etl:<target>``. Its commit info
holds ``lakeforge.etl.generation``, ``lakeforge.etl.definition`` and ``lakeforge.etl.run_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
from deltalake import DeltaTable

from lake.delta import DeltaTableStore
from lake.etl.spec import EtlSpec
from lake.storage import StorageProfile

__all__ = [
    "COMMIT_DEFINITION",
    "COMMIT_GENERATION",
    "COMMIT_MODE",
    "COMMIT_RUN_ID",
    "TargetState",
    "bookmark_app_id",
    "generation_app_id",
    "read_target_state",
    "sink_app_id",
    "txn_version",
]

COMMIT_GENERATION = "lakeforge.etl.generation"
COMMIT_DEFINITION = "lakeforge.etl.definition"
COMMIT_RUN_ID = "lakeforge.etl.run_id"
COMMIT_MODE = "lakeforge.etl.mode"
_HISTORY_LIMIT = 100


def generation_app_id(table: str) -> str:
    return f"etl:{table}"


def bookmark_app_id(table: str, source: str) -> str:
    return f"etl:{table}:{source}"


def sink_app_id(table: str, sink: str) -> str:
    """The app id of a run's writes to its ``quarantine`` or ``results`` table."""
    return f"etl:{table}:{sink}"


@dataclass(frozen=True)
class TargetState:
    """What the target's log says about past runs (``generation=None``: never run)."""

    exists: bool
    version: int | None = None
    generation: int | None = None
    bookmarks: dict[str, int | None] = field(default_factory=dict)
    definition_id: str | None = None
    run_id: str | None = None
    partition_by: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()


def read_target_state(store: DeltaTableStore, spec: EtlSpec) -> TargetState:
    """The target's generation, bookmarks and definition id (from its newest ETL commit)."""
    if not store.exists(spec.location):
        return TargetState(exists=False)
    dt = store.snapshot(spec.location)
    generation = dt.transaction_version(generation_app_id(spec.name))
    bookmarks = {s.name: dt.transaction_version(bookmark_app_id(spec.name, s.name)) for s in spec.sources}
    definition = run_id = None
    if generation is not None:
        for commit in store.history(spec.location, limit=_HISTORY_LIMIT):
            if str(commit.get(COMMIT_GENERATION)) == str(generation):
                definition, run_id = commit.get(COMMIT_DEFINITION), commit.get(COMMIT_RUN_ID)
                break
    schema = pa.schema(dt.schema().to_arrow())
    return TargetState(
        exists=True, version=int(dt.version()), generation=generation, bookmarks=bookmarks,
        definition_id=definition, run_id=run_id,
        partition_by=tuple(dt.metadata().partition_columns), columns=tuple(f.name for f in schema),
    )


def txn_version(profile: StorageProfile, location: str, app_id: str) -> int | None:
    """The version ``app_id`` last committed to the Delta table at ``location`` (None: none, or no table)."""
    uri = profile.resolve(location)
    options = profile.storage_options() or None
    if not DeltaTable.is_deltatable(uri, storage_options=options):
        return None
    return DeltaTable(uri, storage_options=options).transaction_version(app_id)
