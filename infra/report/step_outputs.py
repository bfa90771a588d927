"""What a pipeline step printed: its ``lake`` command and the JSON documents of its log.

Steps that run ``lake … --json`` print one JSON document on stdout when they finish (a job such
as ``jobs/build_views.py`` prints one per line); the runner keeps stdout and stderr in the step
log. :func:`json_documents` reads every top-level JSON document back (a document starts at the
beginning of a line; other lines — Spark's warnings, the runner's notes — are skipped).
:func:`step_command` tells which ``lake`` command a recorded argument vector ran, and
:func:`output_rows` the rows a step produced according to its command's documented output.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

__all__ = ["StepOutput", "json_documents", "output_rows", "step_command"]

# ``lake`` commands of one or two words a step may run (the pipeline spec's LAKE_COMMANDS + submit)
_TWO_WORD = ("table optimize", "table vacuum", "model alias", "etl run", "quality show", "monitor run")


@dataclass(frozen=True)
class StepOutput:
    """One step's command, its arguments and the JSON documents it printed (the last one first in use)."""

    step: str
    command: str | None
    args: tuple[str, ...] = ()
    documents: tuple[Any, ...] = field(default_factory=tuple)

    @property
    def result(self) -> Any:
        """The last JSON document (a ``lake`` command's ``--json`` output), or ``None``."""
        return self.documents[-1] if self.documents else None

    def option(self, name: str) -> str | None:
        """The value of ``--name VALUE`` (or ``--name=VALUE``) among the arguments."""
        for i, arg in enumerate(self.args):
            if arg == name and i + 1 < len(self.args):
                return self.args[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
        return None


def json_documents(text: str) -> list[Any]:
    """Every JSON object or array that starts at the beginning of a line of ``text``, in order."""
    decoder = json.JSONDecoder()
    out: list[Any] = []
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        if text.startswith(("{", "["), pos):
            try:
                value, stop = decoder.raw_decode(text, pos)
            except ValueError:
                pos = end + 1
                continue
            if isinstance(value, dict | list):
                out.append(value)
            nl = text.find("\n", stop)
            pos = len(text) if nl < 0 else nl + 1
            continue
        pos = end + 1
    return out


def step_command(command_line: str | None) -> tuple[str | None, tuple[str, ...]]:
    """``("ingest", args)`` for ``…/lake ingest --stream heart``; ``("submit jobs/x.py", args)``
    for a spark-submit step; ``(None, ())`` when the line is not a ``lake`` command."""
    if not command_line:
        return None, ()
    try:
        argv = shlex.split(command_line)
    except ValueError:
        return None, ()
    if len(argv) >= 3 and argv[1] == "-c":  # python -c "…main()" <command> …: lake as a module
        words = argv[3:]
    elif argv and PurePath(argv[0]).name == "lake":
        words = argv[1:]
    else:
        return None, ()
    if not words:
        return None, ()
    if words[0] == "submit" and len(words) >= 2:
        rest = words[2:]
        return f"submit {words[1]}", tuple(rest[1:] if rest[:1] == ["--"] else rest)
    if len(words) >= 2 and f"{words[0]} {words[1]}" in _TWO_WORD:
        return f"{words[0]} {words[1]}", tuple(words[2:])
    return words[0], tuple(words[1:])


def output_rows(command: str | None, result: Any) -> int | None:
    """The rows a step produced, from its command's ``--json`` output (``None`` when it says none)."""
    if result is None or command is None:
        return None
    if command in ("etl", "etl run") and isinstance(result, list):
        written = [_int(r.get("rows_written")) for r in result if isinstance(r, Mapping)]
        counted = [w for w in written if w is not None]
        return sum(counted) if counted else None
    if command in ("etl", "etl run") and isinstance(result, Mapping):
        return _int(result.get("rows_written"))
    if not isinstance(result, Mapping):
        return None
    key = {"simulate": "sent", "ingest": "records_in", "predict": "rows", "invoke": "records",
           "monitor run": "current_rows", "monitor": "current_rows", "train": "rows"}.get(command)
    return _int(result.get(key)) if key else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None
