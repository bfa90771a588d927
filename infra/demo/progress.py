"""What ``lake demo`` shows while it runs and when it ends: stages, elapsed seconds, rows.

:class:`StageBoard` is a live table on a terminal (one row per stage: status, elapsed, rows,
error) and one plain line per stage change otherwise (CI logs, pipes); :func:`summary_table` is
the table printed at the end. :class:`ObservedHistory` is the lake's run history that also
tells the board about every record the runner writes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING

from rich.live import Live
from rich.table import Table

from infra.demo.history import ArrowRunHistory
from infra.pipelines.history import PipelineRun, StepRun

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["ObservedHistory", "StageBoard", "summary_table"]

_STYLE = {"success": "green", "ok": "green", "failed": "red", "running": "yellow", "interrupted": "magenta",
          "upstream_failed": "red", "not run": "dim", "pending": "dim"}


class ObservedHistory(ArrowRunHistory):
    """The lake's run history (:class:`ArrowRunHistory`) that calls ``on_run`` / ``on_step`` after each record."""

    on_run: Callable[[PipelineRun], None] | None = None
    on_step: Callable[[StepRun], None] | None = None

    def record_run(self, run: PipelineRun) -> PipelineRun:
        recorded = super().record_run(run)
        if self.on_run is not None:
            self.on_run(recorded)
        return recorded

    def record_step(self, step: StepRun) -> StepRun:
        recorded = super().record_step(step)
        if self.on_step is not None:
            self.on_step(recorded)
        return recorded


def _styled(status: str) -> str:
    style = _STYLE.get(status)
    return f"[{style}]{status}[/{style}]" if style else status


def _elapsed(step: StepRun | None) -> str:
    if step is None or step.started_at is None:
        return ""
    seconds = ((step.ended_at or datetime.now(UTC)) - step.started_at).total_seconds()
    return f"{seconds:.1f}s"


def _rows(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


class StageBoard:
    """Per-stage progress of one run: a live table on a terminal, plain lines otherwise."""

    def __init__(self, stages: Sequence[str], console: Console, *, title: str) -> None:
        self.stages = list(stages)
        self.console = console
        self.title = title
        self.steps: dict[str, StepRun] = {}
        self.rows: dict[str, int | None] = {}
        self._lock = threading.Lock()
        self._live: Live | None = None
        self._started = datetime.now(UTC)

    def __enter__(self) -> StageBoard:
        if self.console.is_terminal:
            self._live = Live(self, console=self.console, refresh_per_second=4, transient=True)
            self._live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._live is not None:
            self._live.stop()

    def step_changed(self, step: StepRun, rows: int | None = None) -> None:
        with self._lock:
            self.steps[step.step] = step
            if rows is not None:
                self.rows[step.step] = rows
        if self._live is None:
            status = step.status.value
            took = f" {_elapsed(step)}" if step.ended_at else ""
            count = f", {rows:,} rows" if rows is not None else ""
            error = f": {step.error}" if step.error and status != "success" else ""
            self.console.print(f"  {step.step:<13} {status}{took}{count}{error}", highlight=False, markup=False,
                               soft_wrap=True)

    def __rich__(self) -> Table:
        seconds = (datetime.now(UTC) - self._started).total_seconds()
        table = Table("stage", "status", "elapsed", "rows", "", title=f"{self.title} · {seconds:.0f}s",
                      title_justify="left")
        with self._lock:
            for name in self.stages:
                step = self.steps.get(name)
                status = step.status.value if step else "pending"
                note = (step.error or "")[:70] if step and status not in ("running", "success") else ""
                table.add_row(name, _styled(status), _elapsed(step), _rows(self.rows.get(name)), note)
        return table


def summary_table(stages: Sequence[StepRun], rows: Mapping[str, int | None], *, title: str) -> Table:
    """The closing table: stage, status, seconds, rows."""
    table = Table("stage", "status", "seconds", "rows", title=title, title_justify="left")
    for step in stages:
        seconds = ((step.ended_at - step.started_at).total_seconds()
                   if step.started_at and step.ended_at else None)
        table.add_row(step.step, _styled(step.status.value), "" if seconds is None else f"{seconds:.1f}",
                      _rows(rows.get(step.step)))
    return table
