"""Run a moto server (ThreadedMotoServer) in a child process on a free loopback port.

delta-rs calls hold the GIL while they wait on HTTP, so a moto server living in the same
Python process as a delta-rs client deadlocks; this child process avoids that.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass

__all__ = ["MotoProcess", "start_moto"]

_CHILD = """
import logging, sys
from moto.server import ThreadedMotoServer
from lake.stream.kinesis.moto_fidelity import patch_moto_performance, patch_moto_resharding
patch_moto_resharding()
patch_moto_performance()
logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address=sys.argv[1], port=int(sys.argv[2]), verbose=False)
server.start()
host, port = server.get_host_and_port()
print(f"http://{host}:{port}", flush=True)
sys.stdin.read()  # run until the parent closes our stdin (or dies)
server.stop()
"""


@dataclass
class MotoProcess:
    """A running moto server child process."""

    process: subprocess.Popen[str]
    endpoint: str

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is not None:
            return
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)


def start_moto(host: str = "127.0.0.1", port: int = 0, timeout: float = 30.0) -> MotoProcess:
    """Start the child and wait until it reports its endpoint."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, host, str(port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("http://") or time.monotonic() > deadline:
        proc.kill()
        raise RuntimeError(f"moto server did not start (got {line!r})")
    return MotoProcess(proc, line)
