"""Run the ``demo`` pipeline like any other, and keep what the terminal and the summary need.

The pipeline is ``infra/pipelines/specs/demo.toml`` of this checkout; its steps start in the
checkout (``jobs/…``, ``infra/sql``, ``infra/ml/…`` resolve there) whatever the project home,
with the home's settings in their environment. Every ``lake demo`` is a new run: its logical
date is the moment it starts (so a second demo the same day is not "already succeeded"), and
its simulator seeds derive from that moment (so its records are new ones, not duplicates of
the previous run's). The rows a stage produced come from its command's ``--json`` output
(:mod:`infra.report.step_outputs`); training's from the registered version's ``data.rows``.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.demo.progress import ObservedHistory
from infra.pipelines import SPECS_DIR, Pipeline, PipelineRunner, RunnerOptions, RunResult, load_pipeline
from infra.pipelines.history import StepRun, StepStatus
from infra.report.step_outputs import json_documents, output_rows, step_command
from lake.errors import LakeforgeError

if TYPE_CHECKING:
    from lake.config import Settings
    from lake.ml.tracking import ModelRegistry
    from lake.storage import StorageProfile

__all__ = ["DEMO_SPEC", "SOURCE_ROOT", "DemoOutcome", "demo_params", "load_demo_pipeline", "run_demo_pipeline"]

SOURCE_ROOT = Path(__file__).resolve().parents[2]
"""The checkout the demo's steps start in (it holds ``jobs/``, ``infra/sql`` and ``infra/ml``)."""
DEMO_SPEC = SPECS_DIR / "demo.toml"
_SEED_RANGE = 1_000_000_000
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoOutcome:
    """The finished run, its steps in pipeline order and the rows each produced."""

    result: RunResult
    steps: list[StepRun]
    rows: Mapping[str, int | None] = field(default_factory=dict)

    @property
    def failed(self) -> StepRun | None:
        """The first step that failed or was interrupted (``None`` when every step succeeded)."""
        return next((s for s in self.steps if s.status in (StepStatus.FAILED, StepStatus.INTERRUPTED)), None)


def load_demo_pipeline() -> Pipeline:
    """The ``demo`` pipeline of this checkout."""
    return load_pipeline(DEMO_SPEC, base_dir=SOURCE_ROOT)


def demo_params(records: int | None, logical_date: datetime) -> dict[str, str]:
    """``[params]`` for one demo run: its size (today's visits are a quarter of ``records``) and its seeds."""
    seed = int(logical_date.timestamp()) % _SEED_RANGE
    out = {"seed": str(seed), "new_seed": str(seed + 1)}
    if records is not None:
        out.update(records=str(records), new_records=str(max(50, records // 4)))
    return out


class _Interrupt:
    """Ctrl-C sets ``event`` (the runner then stops its steps and records the run interrupted).

    Spark, started by the history's first write, installs its own SIGINT handler: :meth:`arm`
    (called after each run record) takes SIGINT back.
    """

    def __init__(self, event: threading.Event) -> None:
        self.event = event
        self._previous: Any = None

    def arm(self) -> None:
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, lambda *_: self.event.set())
            if self._previous is None:
                self._previous = previous

    def restore(self) -> None:
        if self._previous is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self._previous)


def run_demo_pipeline(
    settings: Settings,
    profile: StorageProfile,
    pipeline: Pipeline,
    logical_date: datetime,
    *,
    on_step: Callable[[StepRun, int | None], None] | None = None,
    cancel: threading.Event | None = None,
) -> DemoOutcome:
    """Run ``pipeline`` for ``logical_date`` (forced: a new run even if that date succeeded)."""
    from lake.ml.tracking import ModelRegistry, open_tracking

    cancel = cancel or threading.Event()
    history = ObservedHistory(profile, settings=settings)
    rows: dict[str, int | None] = {}
    registry: list[ModelRegistry] = []

    def get_registry() -> ModelRegistry:
        if not registry:
            registry.append(ModelRegistry(open_tracking(settings, profile)))
        return registry[0]

    def step_changed(step: StepRun) -> None:
        count = None
        if step.status == StepStatus.SUCCESS:
            count = _step_rows(history, step, get_registry)
            rows[step.step] = count
        if on_step is not None:
            on_step(step, count)

    interrupt = _Interrupt(cancel)
    history.on_step = step_changed
    history.on_run = lambda _run: interrupt.arm()
    interrupt.arm()
    endpoints = _running_endpoints(settings)
    try:
        runner = PipelineRunner(history, RunnerOptions.from_settings(settings, cwd=SOURCE_ROOT))
        result = runner.run(pipeline, logical_date.astimezone(UTC), trigger="demo", force=True, cancel=cancel)
    finally:
        interrupt.restore()
        _stop_new_endpoints(settings, endpoints)
    order = {name: i for i, name in enumerate(pipeline.order())}
    steps = sorted(result.steps, key=lambda s: order.get(s.step, len(order)))
    return DemoOutcome(result, steps, rows)


def _running_endpoints(settings: Settings) -> set[str]:
    from infra.services.model_server import list_endpoints

    return {str(e.get("endpoint")) for e in list_endpoints(settings.home) if e.get("status") == "running"}


def _stop_new_endpoints(settings: Settings, before: set[str]) -> None:
    """An endpoint the run started and left running (its step was killed) is stopped."""
    from infra.services.model_server import stop_model_endpoint

    for name in _running_endpoints(settings) - before:
        try:
            stop_model_endpoint(settings.home, name)
            _log.warning("stopped endpoint %s that the demo's serve step left running", name)
        except LakeforgeError as exc:
            _log.warning("could not stop endpoint %s: %s", name, exc)


def _step_rows(history: ObservedHistory, step: StepRun, registry: Callable[[], ModelRegistry]) -> int | None:
    """Rows the finished ``step`` produced (``None`` when its output does not say)."""
    command, _ = step_command(step.command)
    if not step.log_location or command is None:
        return None
    try:
        documents = json_documents(history.read_log(step.log_location))
        result = documents[-1] if documents else None
        count = output_rows(command, result)
        if count is None and command == "train" and isinstance(result, dict) and result.get("version"):
            params = registry().show(f"{result['model']}:{result['version']}").params
            count = int(params["data.rows"]) if str(params.get("data.rows", "")).isdigit() else None
        return count
    except (LakeforgeError, OSError, KeyError, ValueError) as exc:  # a count is a nicety: never fail the run
        _log.warning("step %s: rows unknown: %s", step.step, exc)
        return None
