"""One lifecycle for every background service: its state entry, identity, status, start and stop.

A service (moto, the Spark cluster, the SQL endpoint, the scheduler) is a :class:`ManagedService`
that says only what is its own — the command-line markers of its recorded process, how to
launch it, how to check that it answers, which processes its entry records — and the base
does the rest the same way for all of them:

* **status**: ``stale`` when the recorded pid is not this home's process (dead, or reused by
  another program); else the entry's own ``starting`` while a self-reporting child starts;
  else ``running`` or ``not answering`` from the service's health check.
* **start**, under the home's service lock: reuse a live service; stop exactly the processes a
  stale entry records; launch; record the entry. A child that marks itself ``running`` in its
  entry (it needs the lock to write) is waited for outside the lock. On any failure, Ctrl-C
  included, every process the start launched is killed, the entry dropped, and
  :class:`~infra.errors.ServiceStartError` carries the log's last lines.
* **stop**: exactly the recorded pids — ``stopped``, ``stale`` (entry dropped, nothing
  signalled) or ``not running``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from infra.errors import InvalidOptionError, PortInUseError, ServiceStartError
from infra.services.process import (
    free_port,
    is_service_process,
    log_tail,
    port_free,
    service_lock,
    spawn_detached,
    stop_process,
    wait_for,
)
from lake.state import ServiceState

__all__ = [
    "ManagedService",
    "RecordedProcess",
    "ServiceStart",
    "ServiceStop",
    "Spawner",
    "StopOutcome",
    "check_port",
    "kill_child",
    "pick_port",
]

StopOutcome = Literal["stopped", "stale", "not running"]


@dataclass(frozen=True)
class ServiceStart:
    """The outcome of a start: the live entry, whether this call started it, whether it replaced a stale one."""

    entry: dict[str, Any]
    started: bool
    replaced_stale: bool = False


@dataclass(frozen=True)
class ServiceStop:
    """The outcome of a stop: ``stopped`` | ``stale`` | ``not running``, the entry, the pids stopped."""

    outcome: StopOutcome
    entry: dict[str, Any] | None
    stopped: tuple[int, ...] = ()


def check_port(option: str, port: int | None) -> None:
    """Reject a port outside 1…65535 (``None`` means: let the service choose)."""
    if port is not None and not 1 <= port <= 65535:
        raise InvalidOptionError(option, port, "a TCP port between 1 and 65535")


def pick_port(requested: int | None, default: int | None, *, service: str) -> int:
    """A requested port must be free (else :class:`PortInUseError`); else the default if free, else a free one.

    Without a default the answer is ``0``: the child binds a free port itself and reports it.
    """
    if requested is not None:
        if not port_free(requested):
            raise PortInUseError(requested, service=service)
        return requested
    if default is None:
        return 0
    return default if port_free(default) else free_port()


def kill_child(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGKILL a child we started (its process group when it leads one) and reap it."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout)


@dataclass(frozen=True)
class RecordedProcess:
    """A process a state entry records, and how to stop it.

    ``group``: SIGTERM (then SIGKILL) its whole process group — for daemons whose children are
    their own workers. ``reap_group``: SIGTERM only the process (so it can shut down what it
    runs in order), then SIGKILL whatever is left of the group it leads.
    """

    pid: Any
    markers: Sequence[str]
    label: str
    timeout: float = 15.0
    group: bool = False
    reap_group: bool = False

    def stop(self) -> bool:
        """Stop it if it is still the recorded process; ``False`` (nothing signalled) otherwise."""
        if not isinstance(self.pid, int) or not is_service_process(self.pid, self.markers):
            return False
        try:
            leads = os.getpgid(self.pid) == self.pid
        except ProcessLookupError:
            return False
        stopped = stop_process(self.pid, self.markers, service=self.label, timeout=self.timeout, group=self.group)
        if stopped and self.reap_group and leads:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        return stopped


@dataclass
class _Child:
    label: str
    log_path: Path
    proc: subprocess.Popen[bytes]


@dataclass
class Spawner:
    """The processes one start launches: spawn and watch them, and kill them all on failure."""

    service: str
    children: list[_Child] = field(default_factory=list)

    def spawn(
        self,
        label: str,
        cmd: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start ``cmd`` detached (own session, output appended to ``log_path``) and watch it."""
        return self.adopt(label, spawn_detached(cmd, log_path=log_path, env=env, cwd=cwd), log_path)

    def adopt(self, label: str, proc: subprocess.Popen[bytes], log_path: Path) -> subprocess.Popen[bytes]:
        """Watch (and on failure kill) a process started elsewhere."""
        self.children.append(_Child(label, log_path, proc))
        return proc

    @property
    def main(self) -> subprocess.Popen[bytes]:
        return self.children[0].proc

    @property
    def main_log(self) -> Path | None:
        return self.children[0].log_path if self.children else None

    def dead(self) -> _Child | None:
        """The first child that has exited, if any."""
        return next((c for c in self.children if c.proc.poll() is not None), None)

    def kill_all(self) -> None:
        for child in reversed(self.children):
            kill_child(child.proc)

    def fail(self, reason: str, log_path: Path | None = None) -> ServiceStartError:
        """Kill every child (so the log holds their last words) and describe the failure with the log tail."""
        self.kill_all()
        log = log_path or self.main_log
        tail = log_tail(log) if log else ""
        return ServiceStartError(self.service, f"{reason}{': ' + tail if tail else ''}", log_path=log)

    def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float,
        *,
        what: str,
        log_path: Path | None = None,
        interval: float = 0.2,
    ) -> None:
        """Wait for ``predicate``; fail when a child exits first, or with ``"<what> within N s"``."""
        ok = wait_for(lambda: predicate() or self.dead() is not None, timeout, interval=interval)
        dead = self.dead()
        if dead is not None:
            raise self.fail(f"{dead.label} exited with code {dead.proc.returncode}", dead.log_path)
        if not ok:
            raise self.fail(f"{what} within {timeout:.0f} s", log_path)


class ManagedService:
    """A background service recorded under ``name`` in ``<home>/state.json``.

    Subclasses set ``name`` and ``label`` and implement :meth:`markers` and :meth:`launch`;
    they may refine :meth:`health`, :meth:`processes`, :meth:`after_stop` and :meth:`validate`.
    With ``child_updates_entry`` the launched process marks its entry ``running`` itself
    (:meth:`update_entry`) and drops it when it exits (:meth:`forget`).
    """

    name: ClassVar[str]
    label: ClassVar[str]
    child_updates_entry: ClassVar[bool] = False
    unhealthy: ClassVar[str] = "not answering"
    stop_timeout: float = 15.0

    def __init__(self, home: Path, *, ready_timeout: float = 60.0) -> None:
        self.home = home
        self.state = ServiceState(home)
        self.ready_timeout = ready_timeout

    # ------------------------------------------------- what a service says about itself
    def markers(self) -> list[str]:
        """Command-line markers that identify this home's recorded (main) process."""
        raise NotImplementedError

    def launch(self, spawner: Spawner) -> dict[str, Any]:
        """Start the processes (through ``spawner``) and return the entry to record; runs under the lock."""
        raise NotImplementedError

    def validate(self) -> None:
        """Check the start options before anything happens."""

    def health(self, entry: Mapping[str, Any]) -> dict[str, Any] | None:
        """Extra status fields when the live service answers; ``None`` when it does not."""
        return {}

    def processes(self, entry: Mapping[str, Any]) -> list[RecordedProcess]:
        """The processes ``entry`` records, in the order they are stopped."""
        return [RecordedProcess(entry.get("pid"), self.markers(), self.label, self.stop_timeout)]

    def after_stop(self, entry: Mapping[str, Any]) -> None:
        """Clean up after the recorded processes were stopped (ready files …)."""

    # ------------------------------------------------------------------- the entry
    def recorded(self) -> dict[str, Any] | None:
        """The entry as recorded (live or not)."""
        entry = self.state.read().get(self.name)
        return entry if isinstance(entry, dict) else None

    def running(self) -> dict[str, Any] | None:
        """The entry if its pid is really this home's process."""
        entry = self.recorded()
        if entry is not None and is_service_process(entry.get("pid"), self.markers()):
            return entry
        return None

    def status(self) -> dict[str, Any] | None:
        """The entry plus ``status`` (running | starting | not answering | stale), or ``None``."""
        entry = self.recorded()
        if entry is None:
            return None
        out = dict(entry)
        if not is_service_process(entry.get("pid"), self.markers()):
            out["status"] = "stale"
            return out
        if self.child_updates_entry and entry.get("status") != "running":
            out["status"] = entry.get("status") or "starting"
            return out
        health = self.health(entry)
        if health is None:
            out["status"] = self.unhealthy
        else:
            out.update(health)
            out["status"] = "running"
        return out

    def update_entry(self, pid: int, **fields: Any) -> None:
        """Merge ``fields`` into the entry if it belongs to ``pid`` (or create it); ``None`` removes a key."""
        with service_lock(self.home):
            entry = self.state.read().get(self.name)
            if isinstance(entry, dict) and entry.get("pid") not in (None, pid):
                return
            merged = dict(entry) if isinstance(entry, dict) else {"pid": pid}
            for key, value in fields.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            self.state.put(self.name, merged)

    def forget(self, pid: Any) -> None:
        """Drop the entry if it still belongs to ``pid`` (a child leaving)."""
        with service_lock(self.home):
            entry = self.state.read().get(self.name)
            if isinstance(entry, dict) and entry.get("pid") == pid:
                self.state.put(self.name, None)

    # ----------------------------------------------------------------- start, stop
    def stop_recorded(self, entry: Mapping[str, Any]) -> list[int]:
        """Stop the processes ``entry`` records that are still this home's; returns their pids."""
        return [p.pid for p in self.processes(entry) if p.stop()]

    def drop_stale(self) -> bool:
        """Under the lock: stop what a non-live entry still records and remove it; ``True`` if there was one."""
        stale = self.state.read().get(self.name)
        if stale is None:
            return False
        self.stop_recorded(stale if isinstance(stale, dict) else {})
        self.state.put(self.name, None)
        return True

    def start(self) -> ServiceStart:
        """Start the service unless this home's already runs (then return its entry)."""
        self.validate()
        spawner = Spawner(self.label)
        with service_lock(self.home):
            live = self.running()
            if live is not None:
                return ServiceStart(live, started=False)
            replaced = self.drop_stale()
            try:
                entry = self.launch(spawner)
                self.state.put(self.name, entry)
            except BaseException:  # Ctrl-C included: never leave an unrecorded process behind
                spawner.kill_all()
                raise
        if self.child_updates_entry:
            entry = self._await_child(spawner)
        return ServiceStart(entry, started=True, replaced_stale=replaced)

    def _await_child(self, spawner: Spawner) -> dict[str, Any]:
        proc = spawner.main

        def _ready() -> dict[str, Any] | None:
            entry = self.recorded()
            ours = entry is not None and entry.get("pid") == proc.pid and entry.get("status") == "running"
            return entry if ours else None

        try:
            wait_for(lambda: _ready() is not None or proc.poll() is not None, self.ready_timeout, interval=0.3)
        except BaseException:
            self._abandon(proc)
            raise
        entry = _ready()
        if entry is not None:
            return entry
        reason = (f"exited with code {proc.returncode}" if proc.poll() is not None
                  else f"not ready within {self.ready_timeout:.0f} s")
        self._abandon(proc)
        log = spawner.main_log
        tail = log_tail(log) if log else ""
        raise ServiceStartError(self.label, f"{reason}{': ' + tail if tail else ''}", log_path=log)

    def _abandon(self, proc: subprocess.Popen[bytes]) -> None:
        """Stop a child that did not become ready and drop its entry."""
        entry = self.recorded()
        if proc.poll() is None:
            self.stop_recorded(entry if entry is not None and entry.get("pid") == proc.pid else {"pid": proc.pid})
        kill_child(proc)
        self.forget(proc.pid)

    def stop(self) -> ServiceStop:
        """Stop exactly the recorded processes and drop the entry.

        A self-reporting child is signalled outside the lock: it drops its own entry as it exits.
        """
        with service_lock(self.home):
            entry = self.state.read().get(self.name)
            if not isinstance(entry, dict):
                if entry is not None:
                    self.state.put(self.name, None)
                return ServiceStop("not running", None)
            if not self.child_updates_entry:
                stopped = self.stop_recorded(entry)
                self.state.put(self.name, None)
        if self.child_updates_entry:
            stopped = self.stop_recorded(entry)
            self.forget(entry.get("pid"))
        self.after_stop(entry)
        return ServiceStop("stopped" if stopped else "stale", entry, tuple(stopped))
