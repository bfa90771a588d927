"""SQL dialects: Spark SQL as written, Athena (Trino/Presto) transpiled to Spark with sqlglot.

A statement is parsed in its own dialect and always generated as Spark SQL with sqlglot's
``unsupported_level=RAISE``, so a construct sqlglot cannot translate fails naming it instead
of being dropped. A few constructs sqlglot translates lossily are refused up front.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, TokenError, UnsupportedError

from catalog.sql.errors import SqlError, SqlSyntaxError, UnsupportedSqlError

__all__ = [
    "DIALECTS",
    "SPARK",
    "check_translatable",
    "parse_sql",
    "sqlglot_dialect",
    "to_spark_sql",
]

SPARK = "spark"
# Our dialect names → sqlglot's read dialect.
DIALECTS: Mapping[str, str] = {
    "spark": "spark",
    "athena": "trino",
    "trino": "trino",
    "presto": "presto",
}

# sqlglot logs a warning when it falls back to a generic Command; we classify those ourselves.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


def sqlglot_dialect(name: str) -> str:
    """The sqlglot read dialect for one of :data:`DIALECTS` (error lists the valid names)."""
    try:
        return DIALECTS[name.lower()]
    except (KeyError, AttributeError):
        raise SqlError(
            f"unknown SQL dialect {name!r}; valid dialects: {', '.join(DIALECTS)}"
        ) from None


_MISSING = re.compile(r"Required keyword: '(\w+)' missing for <class '[\w.]*\.(\w+)'>")


def _reason(description: str, highlight: str) -> str:
    """sqlglot's parser message in words a SQL user reads."""
    text = description.splitlines()[0]
    if m := _MISSING.search(text):
        text = f"incomplete {m[2].upper()} expression"
    elif text.startswith("Invalid expression / Unexpected token"):
        text = "unexpected token"
    return f"{text} near {highlight!r}" if highlight else text


def parse_sql(text: str, dialect: str) -> exp.Expression:
    """Parse one statement; syntax errors carry the line and column within ``text``."""
    read = sqlglot_dialect(dialect)
    try:
        expressions = sqlglot.parse(text, read=read)
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        line, col = first.get("line"), first.get("col")
        highlight = first.get("highlight") or ""
        if isinstance(col, int) and highlight:
            col = max(1, col - len(highlight) + 1)
        raise SqlSyntaxError(_reason(str(first.get("description") or exc), highlight), line, col) from None
    except TokenError as exc:
        raise SqlSyntaxError(str(exc).splitlines()[0]) from None
    found = [e for e in expressions if e is not None]
    if len(found) != 1:
        raise SqlSyntaxError(f"expected one statement, found {len(found)}")
    return cast(exp.Expression, found[0])


def check_translatable(expression: exp.Expression, dialect: str) -> None:
    """Refuse constructs sqlglot would translate to Spark with different meaning."""
    if sqlglot_dialect(dialect) == SPARK:
        return
    for node in expression.walk():
        if isinstance(node, exp.MatchRecognize):
            raise UnsupportedSqlError("MATCH_RECOGNIZE", "Spark SQL has no row pattern matching")
        if isinstance(node, exp.Fetch) and node.args.get("with_ties"):
            raise UnsupportedSqlError("FETCH … WITH TIES", "Spark SQL has no WITH TIES")


def _iso_weekdays(node: exp.Expression) -> exp.Expression:
    """Trino's ISO weekday (Monday = 1 … Sunday = 7) as Spark computes it.

    sqlglot renders ``day_of_week(x)`` as ``DAYOFWEEK(x) % 7 + 1``, which is off by two days
    (Spark's DAYOFWEEK starts on Sunday); Spark's ``weekday(x)`` is Monday = 0.
    """
    if isinstance(node, exp.DayOfWeekIso):
        weekday = exp.Anonymous(this="weekday", expressions=[node.this])
        return exp.Paren(this=exp.Add(this=weekday, expression=exp.Literal.number(1)))
    if isinstance(node, exp.Extract) and isinstance(node.this, exp.Var) and node.this.name.upper() in (
            "DOW", "DAY_OF_WEEK"):
        return exp.Extract(this=exp.var("DAYOFWEEK_ISO"), expression=node.expression)
    return node


def to_spark_sql(expression: exp.Expression, dialect: str = SPARK) -> str:
    """Spark SQL text for ``expression`` (parsed in ``dialect``); untranslatable → error."""
    check_translatable(expression, dialect)
    if sqlglot_dialect(dialect) != SPARK:
        expression = expression.transform(_iso_weekdays)
    try:
        return expression.sql(dialect=SPARK, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        reason = str(exc).splitlines()[0]
        raise UnsupportedSqlError(reason, f"cannot translate from {dialect} to Spark SQL") from None
