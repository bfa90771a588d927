"""The service state file: which local services run, where, and under which pid.

``lake up`` and ``lake cluster up`` write it; every later command reads it to find the
moto endpoint or the Spark master. Entries whose pid is gone are treated as stale.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["STATE_FILE_NAME", "ServiceState", "pid_alive"]

STATE_FILE_NAME = "state.json"


def pid_alive(pid: int | None) -> bool:
    """True when a process with ``pid`` exists and is not a zombie."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


class ServiceState:
    """Read/modify/write access to ``<home>/state.json`` (atomic replace on write)."""

    def __init__(self, home: Path) -> None:
        self.path = home / STATE_FILE_NAME

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, service: str) -> dict[str, Any] | None:
        """The entry for ``service`` if its process is still alive, else ``None``."""
        entry = self.read().get(service)
        if not isinstance(entry, dict):
            return None
        pids = [entry.get("pid"), *entry.get("worker_pids", [])]
        if entry.get("pid") is not None and not pid_alive(entry.get("pid")):
            return None
        if not any(pid_alive(p) for p in pids if p):
            return None
        return entry

    def put(self, service: str, entry: Mapping[str, Any] | None) -> None:
        data = self.read()
        if entry is None:
            data.pop(service, None)
        else:
            data[service] = dict(entry)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
        os.replace(tmp, self.path)

    def moto_endpoint(self) -> str | None:
        entry = self.get("moto")
        return str(entry["endpoint"]) if entry and entry.get("endpoint") else None
