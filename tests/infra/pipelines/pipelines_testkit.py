"""Helpers shared by the pipeline tests (imported as ``pipelines_testkit``; conftest puts this
folder on ``sys.path``): the test launcher, pipeline builder, step-record readers, a fake clock.

Production steps are ``lake`` commands; here a ``submit`` step's script runs directly with
this interpreter (:class:`PythonLauncher`), so tests exercise the real runner, processes,
timeouts and error files without Spark.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from infra.pipelines.spec import Pipeline, Step, parse_pipeline

STEP_SCRIPT = str(Path(__file__).resolve().parent / "step_script.py")


@dataclass(frozen=True)
class PythonLauncher:
    """Test launcher: ``submit = "script.py"`` runs as ``python script.py ARGS``."""

    def argv(self, step: Step, args: Sequence[str]) -> list[str]:
        assert step.submit is not None, "test pipelines use submit steps"
        return [sys.executable, step.submit, *args]


def make_pipeline(steps: list[dict[str, Any]], name: str = "p", **top: Any) -> Pipeline:
    """A validated pipeline whose steps default to the test step script."""
    return parse_pipeline({"name": name, **top,
                           "steps": [{"submit": STEP_SCRIPT, **s} for s in steps]}, file=f"{name}.toml")


def read_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def max_overlap(records: list[dict[str, Any]]) -> int:
    """The most step intervals [start, end] that overlap at one instant."""
    events = sorted([(r["start"], 1) for r in records] + [(r["end"], -1) for r in records],
                    key=lambda e: (e[0], e[1]))
    current = best = 0
    for _, delta in events:
        current += delta
        best = max(best, current)
    return best


class FakeClock:
    """A settable UTC clock."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now



DAY = datetime(2024, 3, 1, 3, 0, tzinfo=UTC)
