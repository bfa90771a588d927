"""Fault injection for tests: SIGKILL the process right after a named stage of an ETL run."""

from __future__ import annotations

import os
import signal

__all__ = ["FAULT_ENV", "STAGES", "crash_point"]

FAULT_ENV = "LAKE_ETL_FAULT"  # "<stage>" or "<stage>:<table>"
STAGES = ("pinned", "quarantine", "results", "committed")


def crash_point(stage: str, table: str) -> None:
    """Kill this process (like a machine crash) if ``FAULT_ENV`` names ``stage`` (for ``table``)."""
    spec = os.environ.get(FAULT_ENV, "")
    wanted, _, only = spec.partition(":")
    if wanted == stage and stage in STAGES and (not only or only == table):
        os.kill(os.getpid(), signal.SIGKILL)
