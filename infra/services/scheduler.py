"""``lake schedule start|stop|status``: the pipeline scheduler as a background service.

The server process (:mod:`infra.services.scheduler_server`) runs
:func:`infra.pipelines.run_scheduler_loop` over the pipeline folders until SIGTERM. It marks
its state entry ``scheduler`` ``running`` once its pipelines loaded and the run history in the
lake answered, and drops the entry when it exits. After a kill -9 the entry is stale: the next
start replaces it, and the new scheduler marks the runs the dead one left ``running`` as
``interrupted`` (their step processes killed) — a logical date is never run twice.

``LAKEFORGE_SCHEDULER_CLOCK="<start ISO-8601>,<epoch seconds>,<speed>"`` runs the scheduler on
an accelerated clock: ``start`` at wall-clock time ``epoch``, ``speed`` times faster. Tests and
rehearsals see a minutely cron tick every few seconds; restarts given the same value share
one timeline.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from infra.errors import InvalidOptionError
from infra.services.lifecycle import ManagedService, RecordedProcess, ServiceStart, ServiceStop, Spawner
from infra.services.process import utc_now
from lake.config import Settings

__all__ = [
    "CLOCK_ENV",
    "SCHEDULER_SERVICE",
    "SERVER_MODULE",
    "SchedulerOptions",
    "SchedulerService",
    "running_scheduler",
    "scheduler_clock",
    "scheduler_markers",
    "scheduler_status",
    "server_command",
    "start_scheduler",
    "stop_scheduler",
]

SCHEDULER_SERVICE = "scheduler"
SERVER_MODULE = "infra.services.scheduler_server"
CLOCK_ENV = "LAKEFORGE_SCHEDULER_CLOCK"
_STOP_GRACE = 60.0  # steps get SIGTERM and 10 s, then the interrupted runs are recorded


@dataclass(frozen=True)
class SchedulerOptions:
    """How the scheduler runs: its pipeline folders, pass interval, run limit, drain time on stop."""

    pipelines_dirs: tuple[Path, ...]
    poll_interval: float = 15.0
    max_active_runs: int = 2
    drain_timeout: float = 0.0
    overrides: tuple[tuple[str, str], ...] = ()

    def validate(self) -> None:
        if not self.pipelines_dirs:
            raise InvalidOptionError("--pipelines", "", "at least one pipelines folder")
        if not self.poll_interval > 0:
            raise InvalidOptionError("--poll-interval", self.poll_interval, "seconds > 0")
        if self.max_active_runs < 1:
            raise InvalidOptionError("--max-active-runs", self.max_active_runs, "at least 1")
        if not self.drain_timeout >= 0:
            raise InvalidOptionError("--drain-timeout", self.drain_timeout, "seconds ≥ 0")


def scheduler_markers(home: Path) -> list[str]:
    """Command-line markers of this home's scheduler (``--home`` is followed by ``--poll-interval``)."""
    return [SERVER_MODULE, f"--home={home} --poll-interval"]


def server_command(home: Path, options: SchedulerOptions) -> list[str]:
    cmd = [sys.executable, "-m", SERVER_MODULE, f"--home={home}", "--poll-interval", f"{options.poll_interval:g}",
           "--max-active-runs", str(options.max_active_runs), "--drain-timeout", f"{options.drain_timeout:g}"]
    for folder in options.pipelines_dirs:
        cmd += ["--pipelines", str(folder)]
    for key, value in options.overrides:
        cmd += ["--set", f"{key}={value}"]
    return cmd


def scheduler_clock(spec: str | None) -> Callable[[], datetime]:
    """The scheduler's clock: UTC now, or the accelerated clock ``spec`` describes (see the module)."""
    if not spec:
        return lambda: datetime.now(UTC)
    try:
        start_text, epoch_text, speed_text = (part.strip() for part in spec.split(","))
        start = datetime.fromisoformat(start_text.replace("Z", "+00:00"))
        start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
        epoch, speed = float(epoch_text), float(speed_text)
        if not speed > 0:
            raise ValueError("speed must be > 0")
    except ValueError:
        raise InvalidOptionError(CLOCK_ENV, spec, "'<start ISO-8601>,<epoch seconds>,<speed>'") from None
    return lambda: start + timedelta(seconds=(time.time() - epoch) * speed)


class SchedulerService(ManagedService):
    """The scheduler of one home: a Python process that marks itself ``running`` in its entry.

    Stopping sends SIGTERM to it alone (it stops its active runs and records them), then kills
    what is left of its process group (the JVM of its history writes). Steps run in their own
    process groups and are stopped by the scheduler, or by the next one after a kill -9.
    """

    name = SCHEDULER_SERVICE
    label = "scheduler"
    child_updates_entry = True

    def __init__(self, home: Path, settings: Settings | None = None, options: SchedulerOptions | None = None,
                 *, timeout: float = 120.0) -> None:
        super().__init__(home, ready_timeout=timeout)
        self.settings = settings
        self.options = options

    def markers(self) -> list[str]:
        return scheduler_markers(self.home)

    def validate(self) -> None:
        if self.options is None:
            raise ValueError("starting the scheduler needs SchedulerOptions")
        self.options.validate()
        scheduler_clock(os.environ.get(CLOCK_ENV))

    def processes(self, entry: Mapping[str, Any]) -> list[RecordedProcess]:
        drain = entry.get("drain_timeout")
        timeout = _STOP_GRACE + (float(drain) if isinstance(drain, int | float) else 0.0)
        return [RecordedProcess(entry.get("pid"), self.markers(), self.label, timeout, reap_group=True)]

    def launch(self, spawner: Spawner) -> dict[str, Any]:
        if self.settings is None or self.options is None:
            raise ValueError("starting the scheduler needs settings and options")
        settings, options = self.settings, self.options
        log = self.home / "logs" / "scheduler.log"
        env = {**os.environ, "LAKEFORGE_HOME": str(settings.home), "LAKEFORGE_PROJECT_DIR": str(settings.project_dir),
               "PYTHONUNBUFFERED": "1"}
        proc = spawner.spawn("scheduler", server_command(self.home, options), log_path=log, env=env,
                             cwd=settings.project_dir)
        entry: dict[str, Any] = {
            "pid": proc.pid, "status": "starting", "log": str(log), "started_at": utc_now(),
            "pipelines_dirs": [str(d) for d in options.pipelines_dirs], "poll_interval": options.poll_interval,
            "max_active_runs": options.max_active_runs, "drain_timeout": options.drain_timeout,
        }
        if os.environ.get(CLOCK_ENV):
            entry["clock"] = os.environ[CLOCK_ENV]
        return entry


def running_scheduler(home: Path) -> dict[str, Any] | None:
    """The recorded entry if its pid is really this home's scheduler."""
    return SchedulerService(home).running()


def scheduler_status(home: Path) -> dict[str, Any] | None:
    """The recorded entry plus ``status`` (running | starting | stale), or ``None``."""
    return SchedulerService(home).status()


def start_scheduler(settings: Settings, options: SchedulerOptions, *, timeout: float = 120.0) -> ServiceStart:
    """Start the scheduler in the background unless this home's already runs.

    Returns once it loaded its pipelines and reached the run history (bounded by ``timeout``).
    """
    return SchedulerService(settings.home, settings, options, timeout=timeout).start()


def stop_scheduler(home: Path) -> ServiceStop:
    """Stop exactly the recorded scheduler (its active runs become ``interrupted``)."""
    return SchedulerService(home).stop()
