"""Spark's errors as the engine's typed, one-line errors (with positions where they can be found)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlglot import exp

from catalog.sql.errors import (
    SqlError,
    SqlExecutionError,
    SqlSyntaxError,
    SqlTypeError,
    UnknownColumnError,
    UnknownTableError,
    UnsupportedSqlError,
)
from catalog.sql.statements import StatementText

__all__ = ["one_line", "spark_errors", "translate_spark_error"]

_PREFIX = re.compile(r"^\[[A-Z0-9_.]+\]\s*")
_SQLSTATE = re.compile(r"\s*SQLSTATE:\s*\w+\.?")
_TYPE_CONDITIONS = ("DATATYPE_MISMATCH", "CAST_INVALID_INPUT", "CAST_OVERFLOW", "INVALID_TYPE",
                    "INCOMPATIBLE_", "ARITHMETIC_OVERFLOW", "DIVIDE_BY_ZERO", "NUMERIC_VALUE_OUT_OF_RANGE",
                    "UNEXPECTED_INPUT_TYPE", "WRONG_NUM_ARGS")


def one_line(message: str, limit: int = 400) -> str:
    """The first line of a Spark message without the ``[CONDITION]`` prefix and SQLSTATE."""
    text = (message or "").strip().splitlines()[0] if message and message.strip() else ""
    text = _PREFIX.sub("", text)
    text = _SQLSTATE.sub("", text)
    text = re.sub(r";\s*line \d+ pos \d+;?$", "", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _names(text: str | None) -> list[str]:
    return [p for p in re.findall(r"`((?:[^`]|``)+)`", text or "")]


def _find_column(ast: exp.Expression | None, source: StatementText | None, name: str) -> tuple[int | None, int | None]:
    if ast is None or source is None:
        return None, None
    for col in ast.find_all(exp.Column):
        if col.name.lower() == name.lower():
            ident = col.this
            start = ident.meta.get("start") if isinstance(ident, exp.Identifier) else None
            if isinstance(start, int):
                return source.position(start)
    return None, None


def _java_cause(java: object, fallback: str) -> tuple[str, dict[str, str], str]:
    """Condition, parameters and message of the first Spark error in a Java cause chain.

    Errors raised while results stream (``toLocalIterator``) arrive wrapped, e.g. in
    ``SparkException: Exception thrown in awaitResult``.
    """
    seen = 0
    current = java
    while current is not None and seen < 10:
        try:
            condition = current.getCondition()  # type: ignore[attr-defined]
        except Exception:
            condition = None
        if condition:
            params = dict(current.getMessageParameters() or {})  # type: ignore[attr-defined]
            return str(condition), {str(k): str(v) for k, v in params.items()}, str(current.getMessage())  # type: ignore[attr-defined]
        try:
            current = current.getCause()  # type: ignore[attr-defined]
        except Exception:
            break
        seen += 1
    first = java.toString() if java is not None else fallback  # type: ignore[attr-defined]
    return "", {}, str(first)


def _function_name(params: dict[str, str]) -> str:
    raw = params.get("routineName") or params.get("functionName") or ""
    names = _names(raw)
    return names[-1] if names else raw.strip("`")


def translate_spark_error(
    exc: BaseException, *, ast: exp.Expression | None = None, source: StatementText | None = None,
    dialect: str = "spark",
) -> SqlError:
    """A typed :class:`SqlError` for an exception raised by Spark."""
    from pyspark.errors import PySparkException

    condition = ""
    params: dict[str, str] = {}
    if isinstance(exc, PySparkException):
        condition = exc.getCondition() or ""
        params = dict(exc.getMessageParameters() or {})
    message = exc.getMessage() if isinstance(exc, PySparkException) and condition else str(exc)
    if not condition and type(exc).__name__ == "Py4JJavaError":
        condition, params, message = _java_cause(getattr(exc, "java_exception", None), str(exc))
    start = source.position(0) if source is not None else (None, None)
    if condition.startswith("UNRESOLVED_COLUMN") or condition.startswith("UNRESOLVED_FIELD"):
        parts = _names(params.get("objectName"))
        column = parts[-1] if parts else params.get("objectName", "?")
        proposals = []
        for proposal in re.split(r",\s*", params.get("proposal", "")):
            names = _names(proposal)
            if names and names[-1] not in proposals:
                proposals.append(names[-1])
        line, col = _find_column(ast, source, column)
        ranked = difflib.get_close_matches(column, proposals, n=len(proposals), cutoff=0.0)
        return UnknownColumnError(column, ranked[:3], line, col)
    if condition.startswith("UNRESOLVED_ROUTINE"):
        name = _function_name(params).lower()
        if dialect != "spark":
            return UnsupportedSqlError(f"function {name}()", f"no Spark SQL equivalent for this {dialect} function")
        return SqlExecutionError(f"unknown function {name}()", condition)
    if condition.startswith("TABLE_OR_VIEW_NOT_FOUND"):
        names = _names(params.get("relationName"))
        return UnknownTableError(".".join(names) or "?", (), *start)
    if condition.startswith(("PARSE_SYNTAX_ERROR", "PARSE_")):
        return SqlSyntaxError(f"Spark SQL rejects the statement: {one_line(message)}", *start)
    if condition.startswith(_TYPE_CONDITIONS):
        return SqlTypeError(one_line(message))
    return SqlExecutionError(one_line(message) or type(exc).__name__, condition or None)


@contextmanager
def spark_errors(
    *, ast: exp.Expression | None = None, source: StatementText | None = None, dialect: str = "spark"
) -> Iterator[None]:
    """Re-raise Spark (pyspark/py4j) exceptions inside the block as :class:`SqlError`."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    try:
        yield
    except (PySparkException, Py4JJavaError) as exc:
        raise translate_spark_error(exc, ast=ast, source=source, dialect=dialect) from None
