"""Fixtures for the pipeline tests: in-memory history, a runner whose steps are Python scripts."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipelines_testkit import PythonLauncher

from infra.pipelines.history import InMemoryRunHistory
from infra.pipelines.runner import PipelineRunner, RunnerOptions


@pytest.fixture
def history() -> InMemoryRunHistory:
    return InMemoryRunHistory()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_runner(tmp_path: Path, sleeps: list[float]) -> Callable[..., PipelineRunner]:
    def _make(history: Any, **options: Any) -> PipelineRunner:
        values: dict[str, Any] = {"work_dir": tmp_path / "work", "cwd": tmp_path, "launcher": PythonLauncher(),
                                  "sleep": sleeps.append, "kill_grace": 2.0, "seed": 7}
        values.update(options)
        return PipelineRunner(history, RunnerOptions(**values))

    return _make


@pytest.fixture
def runner(history: InMemoryRunHistory, make_runner: Callable[..., PipelineRunner]) -> PipelineRunner:
    return make_runner(history)

