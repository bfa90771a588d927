"""Typed errors of the SQL engine: each names what failed and, when known, where (line, column)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from catalog.errors import did_you_mean
from lake.errors import LakeforgeError

__all__ = [
    "DependencyCycleError",
    "EndpointNotRunningError",
    "EndpointRefreshError",
    "NameTakenError",
    "SqlError",
    "SqlExecutionError",
    "SqlSyntaxError",
    "SqlTypeError",
    "UnknownColumnError",
    "UnknownDatabaseError",
    "UnknownTableError",
    "UnsupportedSqlError",
    "ViewError",
    "position_text",
]


def position_text(line: int | None, column: int | None) -> str:
    """``" (line 3, column 14)"`` or ``""`` when the position is unknown."""
    if line is None:
        return ""
    return f" (line {line}, column {column})" if column is not None else f" (line {line})"


class SqlError(LakeforgeError):
    """Base of every SQL engine error."""


class SqlSyntaxError(SqlError):
    """The statement does not parse; ``line``/``column`` are 1-based positions in the script."""

    template = "syntax error{where}: {reason}"
    reason: str
    line: int | None = None
    column: int | None = None

    @property
    def where(self) -> str:
        return f" at line {self.line}, column {self.column}" if self.line is not None else ""


class UnsupportedSqlError(SqlError):
    """A construct the engine (or Spark, for a dialect translation) cannot execute."""

    template = "unsupported: {construct}{at}{detail}"
    construct: str
    reason: str = ""
    line: int | None = None
    column: int | None = None

    @property
    def at(self) -> str:
        return position_text(self.line, self.column)

    @property
    def detail(self) -> str:
        return f": {self.reason}" if self.reason else ""


class UnknownDatabaseError(SqlError):
    """A ``db.table`` name whose database is not in the catalog."""

    template = "unknown database {database!r}{at}{hint}"
    database: str
    suggestions: Sequence[str] = ()
    line: int | None = None
    column: int | None = None

    @property
    def at(self) -> str:
        return position_text(self.line, self.column)

    @property
    def hint(self) -> str:
        return did_you_mean(self.suggestions)


class UnknownTableError(SqlError):
    """A table or view name the catalog does not know (names resolve only through it)."""

    template = "unknown table {name!r}{at}{extra}{did}"
    name: str
    suggestions: Sequence[str] = ()
    line: int | None = None
    column: int | None = None
    hint: str = ""

    @property
    def at(self) -> str:
        return position_text(self.line, self.column)

    @property
    def extra(self) -> str:
        return f" ({self.hint})" if self.hint else ""

    @property
    def did(self) -> str:
        return did_you_mean(self.suggestions)


class UnknownColumnError(SqlError):
    """A column no table in scope has."""

    template = "unknown column {column_name!r}{where}{at}{hint}"
    column_name: str
    suggestions: Sequence[str] = ()
    line: int | None = None
    column: int | None = None
    context: str = ""

    @property
    def where(self) -> str:
        return f" in {self.context}" if self.context else ""

    @property
    def at(self) -> str:
        return position_text(self.line, self.column)

    @property
    def hint(self) -> str:
        return did_you_mean(self.suggestions)


class SqlTypeError(SqlError):
    """Spark rejected an expression's types (message kept to one line)."""

    template = "type error{at}: {reason}"
    reason: str
    line: int | None = None
    column: int | None = None

    @property
    def at(self) -> str:
        return position_text(self.line, self.column)


class SqlExecutionError(SqlError):
    """Spark failed while planning or running the statement (message kept to one line)."""

    template = "{reason}"
    reason: str
    condition: str | None = None


class ViewError(SqlError):
    """A view cannot be created or no longer resolves (stale column, cycle)."""

    template = "view {view}: {reason}"
    view: str
    reason: str


class DependencyCycleError(SqlError):
    """SQL files (or views) depend on each other in a cycle; ``cycle`` lists it in order."""

    template = "dependency cycle: {shown}"
    cycle: list[str]

    @property
    def shown(self) -> str:
        return " → ".join(self.cycle)


class NameTakenError(SqlError):
    """A client-made object already uses the name a catalog table or view should get."""

    template = (
        "{name} already exists in the endpoint and was not created by lakeforge; "
        "drop it to expose the catalog object"
    )
    name: str


class EndpointNotRunningError(SqlError):
    """A command needs the running SQL endpoint and there is none for this home."""

    template = "the SQL endpoint is not running for {home} (start it with `lake sql-server`)"
    home: Path


class EndpointRefreshError(SqlError):
    """The running endpoint could not re-read the catalog (what was exposed stays exposed)."""

    template = "sql-server refresh failed: {reason}"
    reason: str
