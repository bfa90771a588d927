"""How one step attempt runs: the argument vector, the child process, its timeout and its error.

A step runs as a child process in its own session (process group), stdout and stderr appended
to the step's log file. On timeout or cancellation the whole group gets SIGTERM, then SIGKILL
after a grace period; processes the step left behind in its group are killed when it exits.
A failing ``lake`` command (or job) writes its error as JSON to ``$LAKEFORGE_ERROR_FILE``
(``type``, ``transient``, ``message``, ``fields``): that, not the text of its output, decides
whether a retry may help.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from infra.pipelines.spec import Step

__all__ = [
    "ERROR_FILE_ENV",
    "AttemptResult",
    "LakeLauncher",
    "StepFailure",
    "StepLauncher",
    "kill_group",
    "lake_executable",
    "last_log_line",
    "log_note",
    "read_error_file",
    "run_attempt",
]

ERROR_FILE_ENV = "LAKEFORGE_ERROR_FILE"
_LOG_PREFIX = "[lakeforge]"


class StepLauncher(Protocol):
    """Turns a step and its rendered arguments into the child's argument vector."""

    def argv(self, step: Step, args: Sequence[str]) -> list[str]: ...


def lake_executable() -> list[str]:
    """The ``lake`` command: the console script beside this interpreter, else its module."""
    script = Path(sys.executable).parent / "lake"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    with contextlib.suppress(ImportError, ValueError):
        if importlib.util.find_spec("infra.cli.main") is not None:
            return [sys.executable, "-c", "import sys; from infra.cli.main import main; sys.exit(main())"]
    raise FileNotFoundError(f"no `lake` console script next to {sys.executable} and no CLI module importable")


@dataclass(frozen=True)
class LakeLauncher:
    """Production launcher: ``lake <command> ARGS`` or ``lake submit SCRIPT -- ARGS``."""

    executable: tuple[str, ...] | None = None

    def argv(self, step: Step, args: Sequence[str]) -> list[str]:
        exe = list(self.executable) if self.executable else lake_executable()
        if step.command is not None:
            return [*exe, *step.command.split(), *args]
        return [*exe, "submit", str(step.submit), "--", *args]


@dataclass(frozen=True)
class StepFailure:
    """A step's error as its error file reported it (or as the runner observed it)."""

    type: str
    message: str
    transient: bool = False
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt did: exit code, timeout/cancel, and the reported error if any."""

    exit_code: int | None
    started_at: datetime
    ended_at: datetime
    timed_out: bool = False
    cancelled: bool = False
    failure: StepFailure | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.cancelled


def read_error_file(path: Path) -> StepFailure | None:
    """The error a failing child wrote to ``path``; ``None`` when it wrote nothing."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    if not text.strip():
        return None
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        fields = data.get("fields")
        return StepFailure(
            type=str(data.get("type") or "Error"),
            message=str(data.get("message") or data.get("type") or "failed"),
            transient=data.get("transient") is True,
            fields=fields if isinstance(fields, dict) else {},
        )
    except ValueError as exc:
        return StepFailure("UnreadableErrorFile", f"error file {path} is not valid JSON ({exc})")


def last_log_line(log_path: Path, limit: int = 64 * 1024) -> str | None:
    """The last non-empty line the child wrote (the runner's own lines skipped)."""
    try:
        with log_path.open("rb") as fh:
            fh.seek(max(0, log_path.stat().st_size - limit))
            lines = fh.read().decode(errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if line.strip() and not line.startswith(_LOG_PREFIX):
            return line.strip()[:500]
    return None


def log_note(log_path: Path, text: str) -> None:
    """Append one runner line to the step log."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    with log_path.open("a", encoding="utf-8") as fh:
        fh.write(f"{_LOG_PREFIX} {stamp} {text}\n")


def run_attempt(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log_path: Path,
    error_file: Path,
    cwd: Path | None = None,
    timeout: float | None = None,
    kill_grace: float = 10.0,
    cancel: threading.Event | None = None,
    clock: Any = None,
) -> AttemptResult:
    """Run ``argv`` once in its own process group; kill the group on timeout or ``cancel``."""
    now = clock or (lambda: datetime.now(UTC))
    error_file.unlink(missing_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_note(log_path, f"$ {shlex.join(argv)}")
    started = now()
    try:
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**env, ERROR_FILE_ENV: str(error_file)}, cwd=cwd, start_new_session=True,
                close_fds=True,
            )
    except OSError as exc:
        log_note(log_path, f"cannot start: {exc}")
        return AttemptResult(None, started, now(), failure=StepFailure(type(exc).__name__, f"cannot start "
                             f"{argv[0]}: {exc.strerror or exc}"))
    deadline = time.monotonic() + timeout if timeout else None
    timed_out = cancelled = False
    while True:
        try:
            code = proc.wait(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            pass
        if cancel is not None and cancel.is_set():
            cancelled = True
        elif deadline is not None and time.monotonic() >= deadline:
            timed_out = True
        if timed_out or cancelled:
            kill_group(proc, kill_grace)
            code = proc.returncode
            break
    _kill_leftovers(proc.pid)
    ended = now()
    if timed_out:
        log_note(log_path, f"timed out after {timeout:g}s: process group {proc.pid} killed")
    elif cancelled:
        log_note(log_path, f"cancelled: process group {proc.pid} killed")
    else:
        log_note(log_path, f"exit code {code}")
    failure = None if code == 0 and not (timed_out or cancelled) else read_error_file(error_file)
    return AttemptResult(code, started, ended, timed_out=timed_out, cancelled=cancelled, failure=failure)


def _group_alive(pgid: int) -> bool:
    """True while a live (not zombie) process is in group ``pgid``."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    for entry in Path("/proc").iterdir():  # zombies stay in the group until reaped: ignore them
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if fields[2] == str(pgid) and fields[0] != "Z":
                return True
    return False


def kill_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group ``proc`` leads; SIGKILL whatever is left after ``grace`` seconds."""
    pgid = proc.pid
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()
        if not _group_alive(pgid):
            break
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    proc.wait()


def _kill_leftovers(pgid: int) -> None:
    """Processes a finished step left in its group (e.g. a backgrounded child) must not outlive it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
