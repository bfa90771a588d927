"""The scheduler process started by ``lake schedule start``::

    python -m infra.services.scheduler_server --home=H --poll-interval S --max-active-runs N
        --drain-timeout S --pipelines DIR [--pipelines DIR …] [--set KEY=VALUE …]

It loads the settings (``--set`` carries the CLI's global flags), loads the pipeline folders,
reads the run history in the lake once, marks its state entry ``running``, then runs
:func:`infra.pipelines.run_scheduler_loop` until SIGTERM/SIGINT and drops its entry on exit.
Its log (``.lakeforge/logs/scheduler.log``) is where it reports; a bad pipeline file or an
unreachable lake ends it with one line there, which ``lake schedule start`` shows.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from infra.errors import InvalidOptionError
from infra.services.process import utc_now
from infra.services.scheduler import CLOCK_ENV, SchedulerService, scheduler_clock
from lake.errors import LakeforgeError

__all__ = ["main", "serve"]

_log = logging.getLogger("lakeforge.scheduler")


def serve(args: argparse.Namespace, stop: threading.Event) -> None:
    """Check the pipelines and the history, mark the entry ``running``, run the loop until ``stop``."""
    from infra.pipelines import load_pipelines, run_scheduler_loop
    from infra.pipelines.delta_history import DeltaRunHistory
    from lake.config import load_settings
    from lake.storage import get_profile

    settings = load_settings(dict(item.split("=", 1) for item in args.set))
    if settings.home.resolve() != args.home.resolve():
        raise InvalidOptionError("--home", str(args.home), f"the settings' home {settings.home}")
    folders = [Path(folder) for folder in args.pipelines]
    pipelines = load_pipelines(folders, base_dir=settings.project_dir)
    spec = os.environ.get(CLOCK_ENV)
    clock = scheduler_clock(spec) if spec else None
    profile = get_profile(settings)
    history = DeltaRunHistory(profile, settings=settings)
    history.runs()  # the lake answers (a bad profile or an unreachable lake fails the start)
    _log.info("pipelines: %s; history in %s%s", ", ".join(pipelines) or "none", profile.lake_uri,
              f"; accelerated clock {spec}" if spec else "")
    SchedulerService(args.home).update_entry(os.getpid(), status="running", ready_at=utc_now(),
                                             pipelines=sorted(pipelines), lake=profile.lake_uri)
    run_scheduler_loop(settings, folders, stop, clock=clock, history=history, poll_interval=args.poll_interval,
                       max_active_runs=args.max_active_runs, drain_timeout=args.drain_timeout)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.services.scheduler_server")
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--poll-interval", type=float, default=15.0)
    parser.add_argument("--max-active-runs", type=int, default=2)
    parser.add_argument("--drain-timeout", type=float, default=0.0)
    parser.add_argument("--pipelines", action="append", default=[], metavar="DIR")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a settings override (profile, lake, spark.master …)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the scheduler until SIGTERM/SIGINT; returns the exit code (2: it could not start)."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    pid = os.getpid()
    _log.info("scheduler starting (pid %d)", pid)
    try:
        serve(args, stop)
        code = 0
    except LakeforgeError as exc:
        _log.error("%s", str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        code = 2
    except Exception:  # the log is where a detached service reports
        _log.exception("scheduler failed")
        code = 1
    finally:
        SchedulerService(args.home).forget(pid)
    return code


if __name__ == "__main__":
    exit_code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)  # skip interpreter teardown (pyarrow/delta-rs threads; README "Reading Delta tables")
