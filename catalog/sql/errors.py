"""Typed errors of the SQL engine: each names what failed and, when known, where (line, column)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lake.errors import TerminalError

__all__ = [
    "DependencyCycleError",
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


def _did_you_mean(suggestions: Sequence[str]) -> str:
    return f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""


class SqlError(TerminalError):
    """Base of every SQL engine error."""


class SqlSyntaxError(SqlError):
    """The statement does not parse; ``line``/``column`` are 1-based positions in the script."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None):
        self.reason = reason
        self.line = line
        self.column = column
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"syntax error{where}: {reason}")


class UnsupportedSqlError(SqlError):
    """A construct the engine (or Spark, for a dialect translation) cannot execute."""

    def __init__(self, construct: str, reason: str = "", line: int | None = None,
                 column: int | None = None):
        self.construct = construct
        self.reason = reason
        self.line = line
        self.column = column
        detail = f": {reason}" if reason else ""
        super().__init__(f"unsupported: {construct}{position_text(line, column)}{detail}")


class UnknownDatabaseError(SqlError):
    """A ``db.table`` name whose database is not in the catalog."""

    def __init__(self, database: str, suggestions: Iterable[str] = (),
                 line: int | None = None, column: int | None = None):
        self.database = database
        self.suggestions = list(suggestions)
        self.line = line
        self.column = column
        super().__init__(
            f"unknown database {database!r}{position_text(line, column)}"
            f"{_did_you_mean(self.suggestions)}"
        )


class UnknownTableError(SqlError):
    """A table or view name the catalog does not know (names resolve only through it)."""

    def __init__(self, name: str, suggestions: Iterable[str] = (),
                 line: int | None = None, column: int | None = None, hint: str = ""):
        self.name = name
        self.suggestions = list(suggestions)
        self.line = line
        self.column = column
        extra = f" ({hint})" if hint else ""
        super().__init__(
            f"unknown table {name!r}{position_text(line, column)}{extra}"
            f"{_did_you_mean(self.suggestions)}"
        )


class UnknownColumnError(SqlError):
    """A column no table in scope has."""

    def __init__(self, column_name: str, suggestions: Iterable[str] = (),
                 line: int | None = None, column: int | None = None, context: str = ""):
        self.column_name = column_name
        self.suggestions = list(suggestions)
        self.line = line
        self.column = column
        where = f" in {context}" if context else ""
        super().__init__(
            f"unknown column {column_name!r}{where}{position_text(line, column)}"
            f"{_did_you_mean(self.suggestions)}"
        )


class SqlTypeError(SqlError):
    """Spark rejected an expression's types (message kept to one line)."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None):
        self.reason = reason
        self.line = line
        self.column = column
        super().__init__(f"type error{position_text(line, column)}: {reason}")


class SqlExecutionError(SqlError):
    """Spark failed while planning or running the statement (message kept to one line)."""

    def __init__(self, reason: str, condition: str | None = None):
        self.reason = reason
        self.condition = condition
        super().__init__(reason)


class ViewError(SqlError):
    """A view cannot be created or no longer resolves (stale column, cycle)."""

    def __init__(self, view: str, reason: str):
        self.view = view
        self.reason = reason
        super().__init__(f"view {view}: {reason}")


class DependencyCycleError(SqlError):
    """SQL files (or views) depend on each other in a cycle; ``cycle`` lists it in order."""

    def __init__(self, cycle: Sequence[str]):
        self.cycle = list(cycle)
        super().__init__(f"dependency cycle: {' → '.join(self.cycle)}")
