"""The one error boundary of the ``lake`` command.

A lakeforge error becomes ``error: <one line>`` on stderr and exit code 1; anything else one
line naming the exception type and exit code 2. ``LAKEFORGE_DEBUG=1`` adds the traceback.
When ``LAKEFORGE_ERROR_FILE`` is set (the pipeline runner sets it for each step), the error is
also written there as JSON — type, transient, message, fields — so a runner retries transient
errors only, without parsing text.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError  # typer 0.29 vendors click
from typer.core import TyperGroup
from typer.exceptions import TyperException

from lake.errors import LakeforgeError

__all__ = ["ERROR_FILE_ENV", "BoundaryGroup", "report_error", "report_usage_error", "write_error_file"]

ERROR_FILE_ENV = "LAKEFORGE_ERROR_FILE"
DEBUG_ENV = "LAKEFORGE_DEBUG"


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def write_error_file(exc: BaseException) -> None:
    """Record ``exc`` as JSON in ``$LAKEFORGE_ERROR_FILE`` (no-op when unset)."""
    path = os.environ.get(ERROR_FILE_ENV)
    if not path:
        return
    fields = exc.fields if isinstance(exc, LakeforgeError) else {}
    payload: dict[str, Any] = {
        "type": type(exc).__name__,
        "module": type(exc).__module__,
        "transient": bool(getattr(exc, "transient", False)),
        "message": _one_line(str(exc)) or type(exc).__name__,
        "fields": json.loads(json.dumps(fields, default=str)),
    }
    try:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(payload, fh)
    except OSError:
        pass


def report_error(exc: BaseException) -> int:
    """Print ``exc`` as one line (plus the traceback under LAKEFORGE_DEBUG=1); return the exit code."""
    write_error_file(exc)
    if os.environ.get(DEBUG_ENV) == "1":
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, LakeforgeError):
        typer.echo(f"error: {_one_line(str(exc))}", err=True)
        return 1
    detail = _one_line(str(exc))
    typer.echo(
        f"error: unexpected {type(exc).__name__}{': ' + detail if detail else ''} "
        f"(set {DEBUG_ENV}=1 for the traceback)",
        err=True,
    )
    return 2


def report_usage_error(exc: UsageError) -> int:
    """Print a usage error (bad option value, missing argument) as one line and click's hint; exit code 2."""
    write_error_file(exc)
    typer.echo(f"error: {_one_line(exc.format_message())}", err=True)
    if exc.ctx is not None:
        typer.echo(f"Try '{exc.ctx.command_path} --help' for help.", err=True)
    return exc.exit_code


class BoundaryGroup(TyperGroup):
    """The root command group: every command's errors pass through :func:`report_error`.

    Usage errors of subcommands (typer's own validation) are one line too, plus click's hint.
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NoArgsIsHelpError:
            raise  # a group called without a command: typer prints its help
        except UsageError as exc:
            raise typer.Exit(report_usage_error(exc)) from None
        except (typer.Exit, typer.Abort, TyperException, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise typer.Exit(report_error(exc)) from None
