"""Incremental ETL tables on Delta, catalog-free: bookmarks, KEY dedup, quality gates, exactly once.

- :mod:`~lake.etl.spec` — ``EtlSpec``: target, Delta sources, the batch builder (the SELECT), rules
- :mod:`~lake.etl.changes` — the data changes of a Delta table between versions (streaming-source semantics)
- :mod:`~lake.etl.state` — generation and bookmarks read back from the target's log
- :mod:`~lake.etl.planner` — incremental / complete / full refresh / no-op, with the reason
- :mod:`~lake.etl.engine` — ``run_etl``: one run, gated, exactly once across crashes
- :mod:`~lake.etl.results_table` — the ``quality.results`` Delta table
- :mod:`~lake.etl.attempts` — a started run's intent, so a rerun redoes exactly that batch
"""

from lake.etl.changes import Change, ChangeSet, read_changes
from lake.etl.engine import run_etl
from lake.etl.errors import EtlError, EtlSpecError, HistoryUnavailableError, SourceMissingError
from lake.etl.faults import FAULT_ENV
from lake.etl.planner import RunMode, RunPlan, plan_run
from lake.etl.result import EtlRunResult
from lake.etl.results_table import RESULTS_CATALOG_NAME, ResultsTable
from lake.etl.spec import KEY_RULE, RESULTS_LOCATION, BuildBatch, EtlSpec, SourceSpec
from lake.etl.state import TargetState, read_target_state

__all__ = [
    "FAULT_ENV",
    "KEY_RULE",
    "RESULTS_CATALOG_NAME",
    "RESULTS_LOCATION",
    "BuildBatch",
    "Change",
    "ChangeSet",
    "EtlError",
    "EtlRunResult",
    "EtlSpec",
    "EtlSpecError",
    "HistoryUnavailableError",
    "ResultsTable",
    "RunMode",
    "RunPlan",
    "SourceMissingError",
    "SourceSpec",
    "TargetState",
    "plan_run",
    "read_changes",
    "read_target_state",
    "run_etl",
]
