"""What the demo shows: a live table of stages on a terminal, one line per change otherwise, a summary."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from rich.console import Console

from infra.demo.progress import StageBoard, summary_table
from infra.pipelines.history import StepRun, StepStatus

START = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _step(name: str, status: StepStatus, seconds: float | None = None, error: str | None = None) -> StepRun:
    ended = START + timedelta(seconds=seconds) if seconds is not None else None
    return StepRun("demo-1", "demo", START, name, status, attempts=1, started_at=START, ended_at=ended, error=error)


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=120, color_system=None), out


def test_without_a_terminal_each_change_is_one_line_with_time_rows_and_error() -> None:
    console, out = _console(False)
    with StageBoard(["ingest", "train"], console, title="demo") as board:
        board.step_changed(_step("ingest", StepStatus.RUNNING))
        board.step_changed(_step("ingest", StepStatus.SUCCESS, 39.5), 5066)
        board.step_changed(_step("train", StepStatus.FAILED, 3.0, "exit code 1"))
    assert out.getvalue().splitlines() == ["  ingest        running", "  ingest        success 39.5s, 5,066 rows",
                                           "  train         failed 3.0s: exit code 1"]


def test_on_a_terminal_the_table_lists_every_stage_pending_or_not() -> None:
    console, out = _console(True)
    board = StageBoard(["ingest", "train", "report"], console, title="demo · s3://lakeforge")
    board.step_changed(_step("ingest", StepStatus.SUCCESS, 39.5), 5066)
    board.step_changed(_step("train", StepStatus.RUNNING))
    console.print(board)
    text = out.getvalue()
    assert "demo · s3://lakeforge" in text
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 3}
    assert "success" in rows["ingest"] and "39.5s" in rows["ingest"] and "5,066" in rows["ingest"]
    assert "running" in rows["train"] and "pending" in rows["report"]


def test_the_summary_has_stage_status_seconds_and_rows() -> None:
    console, out = _console(False)
    steps = [_step("ingest", StepStatus.SUCCESS, 39.5), _step("report", StepStatus.UPSTREAM_FAILED)]
    console.print(summary_table(steps, {"ingest": 5066}, title="demo run demo-1: failed in 50.0s"))
    text = out.getvalue()
    assert "demo run demo-1: failed in 50.0s" in text
    assert any("ingest" in line and "39.5" in line and "5,066" in line for line in text.splitlines())
    assert any("report" in line and "upstream_failed" in line for line in text.splitlines())
