"""A pipeline step for tests: records when it ran, then sleeps, fails or spawns as told.

    python step_script.py --record FILE [--started FILE] [--sleep S] [--transient-failures N --counter FILE]
                          [--terminal] [--crash] [--spawn-child PIDFILE] [--env-out FILE]
                          [--arrive DIR --quorum N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def _error(kind: str, transient: bool, message: str) -> None:
    path = os.environ.get("LAKEFORGE_ERROR_FILE")
    if path:
        Path(path).write_text(json.dumps({"type": kind, "transient": transient, "message": message,
                                          "fields": {"step": os.environ.get("LAKEFORGE_STEP")}}))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--record")
    p.add_argument("--started")
    p.add_argument("--sleep", type=float, default=0.0)
    p.add_argument("--transient-failures", type=int, default=0)
    p.add_argument("--counter")
    p.add_argument("--terminal", action="store_true")
    p.add_argument("--crash", action="store_true")
    p.add_argument("--spawn-child")
    p.add_argument("--env-out")
    p.add_argument("--argv-out")
    p.add_argument("--arrive", help="rendezvous folder: wait here until --quorum steps arrived")
    p.add_argument("--quorum", type=int, default=1)
    a, _rest = p.parse_known_args()
    start = time.time()
    step = os.environ.get("LAKEFORGE_STEP", "?")
    print(f"step {step} starting (pid {os.getpid()})", flush=True)
    if a.started:
        with open(a.started, "a") as fh:
            fh.write(json.dumps({"ds": os.environ.get("LAKEFORGE_DS"), "run_id": os.environ.get("LAKEFORGE_RUN_ID"),
                                 "pid": os.getpid()}) + "\n")
    if a.argv_out:
        Path(a.argv_out).write_text(json.dumps(sys.argv[1:]))
    if a.env_out:
        keep = {k: v for k, v in os.environ.items() if k.startswith(("LAKEFORGE_", "T_"))}
        Path(a.env_out).write_text(json.dumps(keep))
    if a.spawn_child:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        Path(a.spawn_child).write_text(f"{os.getpid()} {child.pid}")
    if a.counter:
        counter = Path(a.counter)
        n = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(n))
        if n <= a.transient_failures:
            _error("KinesisThrottledError", True, f"throttled (attempt {n})")
            print("throttled", file=sys.stderr)
            return 1
    if a.arrive:
        Path(a.arrive, str(os.getpid())).write_text(step)
        deadline = time.monotonic() + 60
        while len(list(Path(a.arrive).iterdir())) < a.quorum:
            if time.monotonic() > deadline:
                print(f"only {len(list(Path(a.arrive).iterdir()))} of {a.quorum} steps arrived", file=sys.stderr)
                return 5
            time.sleep(0.02)
    time.sleep(a.sleep)
    if a.record:
        with open(a.record, "a") as fh:
            fh.write(json.dumps({"step": step, "start": start, "end": time.time(), "pid": os.getpid(),
                                 "ds": os.environ.get("LAKEFORGE_DS"), "run_id": os.environ.get("LAKEFORGE_RUN_ID")})
                     + "\n")
    if a.terminal:
        _error("SchemaMismatchError", False, "column age: expected int, got string")
        print("error: column age: expected int, got string", file=sys.stderr)
        return 1
    if a.crash:
        print("Traceback (most recent call last):\nZeroDivisionError: division by zero", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
