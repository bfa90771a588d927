"""A real scheduler process for the kill -9 test: Delta history on a local lake, a fast clock.

    python scheduler_proc.py LAKE_DIR PIPELINES_DIR T0_ISO REAL0 SPEED

The clock runs ``SPEED`` times faster than real time from ``T0`` at epoch second ``REAL0``, so
two processes started one after the other share one timeline. SIGTERM stops it cleanly.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    lake_dir, pipelines_dir, t0_text, real0_text, speed_text = sys.argv[1:6]
    from pipelines_testkit import PythonLauncher

    from infra.pipelines.delta_history import DeltaRunHistory
    from infra.pipelines.schedule import run_scheduler_loop
    from lake.config import load_settings
    from lake.storage import get_profile

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    t0, real0, speed = datetime.fromisoformat(t0_text), float(real0_text), float(speed_text)

    def clock() -> datetime:
        return t0 + timedelta(seconds=(time.time() - real0) * speed)

    settings = load_settings({"profile": "local", "lake": lake_dir})
    history = DeltaRunHistory(get_profile(settings), settings=settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("scheduler up", flush=True)
    run_scheduler_loop(settings, [Path(pipelines_dir)], stop, clock=clock, history=history,
                       launcher=PythonLauncher(), poll_interval=0.2, max_active_runs=1)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown (pyarrow/delta-rs threads; see RECIPES "Process teardown")


if __name__ == "__main__":
    main()
