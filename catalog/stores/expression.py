"""Glue ``GetPartitions`` expressions, evaluated locally (for stores without a server).

Grammar as documented for the Glue API: comparisons ``= <> != < <= > >=`` between a
partition key and a literal, ``[NOT] IN (…)``, ``[NOT] BETWEEN … AND …``, ``[NOT] LIKE``
(``%`` and ``_``), ``IS [NOT] NULL``, combined with ``AND``, ``OR``, ``NOT`` and
parentheses. Values compare by the partition key's type: integers numerically, ``date``
and ``timestamp`` chronologically, everything else as strings. sqlglot does the parsing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import sqlglot
from sqlglot import exp

from catalog.errors import InvalidInputError
from catalog.model import Column

__all__ = ["PartitionPredicate", "compile_expression"]

PartitionPredicate = Callable[[Sequence[str]], bool]

_INTEGER = {"tinyint", "smallint", "int", "bigint"}
_NUMERIC = {"float", "double"}
_COMPARE: dict[type[exp.Expr], Callable[[Any, Any], bool]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}


def _caster(glue_type: str, key: str, expression: str) -> Callable[[Any], Any]:
    base = glue_type.split("(", 1)[0].strip().lower()

    def cast(value: Any) -> Any:
        if value is None:
            return None
        text = str(value)
        try:
            if base in _INTEGER:
                return int(text)
            if base in _NUMERIC or base == "decimal":
                return float(text)
            if base == "date":
                return date.fromisoformat(text)
            if base == "timestamp":
                return datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInputError(
                f"{text!r} is not a valid {base} for partition key {key!r}",
                field=f"expression {expression!r}",
            ) from None
        return text

    return cast


def _literal(node: exp.Expr, expression: str) -> Any:
    if isinstance(node, exp.Paren):
        return _literal(node.this, expression)
    if isinstance(node, exp.Cast):
        return _literal(node.this, expression)
    if isinstance(node, exp.Neg):
        return "-" + str(_literal(node.this, expression))
    if isinstance(node, exp.Literal):
        return node.this
    if isinstance(node, exp.Null):
        return None
    raise InvalidInputError(
        f"expected a literal, got {node.sql()!r}", field=f"expression {expression!r}"
    )


def _like_regex(pattern: str) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return re.compile("^" + "".join(out) + "$", re.DOTALL)


def compile_expression(expression: str, keys: Sequence[Column]) -> PartitionPredicate:
    """A predicate over partition ``values`` (in ``keys`` order) for a Glue expression.

    Raises :class:`InvalidInputError` for syntax errors and for names that are not
    partition keys (listing the valid ones).
    """
    try:
        tree = sqlglot.parse_one(expression)
    except sqlglot.errors.ParseError as exc:
        raise InvalidInputError(
            f"cannot parse: {str(exc).splitlines()[0]}", field=f"expression {expression!r}"
        ) from None
    index = {k.name.lower(): (i, _caster(k.type, k.name, expression)) for i, k in enumerate(keys)}

    def column(node: exp.Expr) -> tuple[int, Callable[[Any], Any]]:
        while isinstance(node, exp.Paren):
            node = node.this
        if not isinstance(node, exp.Column):
            raise InvalidInputError(
                f"expected a partition key, got {node.sql()!r}", field=f"expression {expression!r}"
            )
        name = node.name.lower()
        if name not in index:
            valid = ", ".join(k.name for k in keys) or "none (table is not partitioned)"
            raise InvalidInputError(
                f"{node.name!r} is not a partition key; partition keys: {valid}",
                field=f"expression {expression!r}",
            )
        return index[name]

    def build(node: exp.Expr) -> PartitionPredicate:
        if isinstance(node, exp.Paren):
            return build(node.this)
        if isinstance(node, exp.And):
            left, right = build(node.this), build(node.expression)
            return lambda v: left(v) and right(v)
        if isinstance(node, exp.Or):
            left, right = build(node.this), build(node.expression)
            return lambda v: left(v) or right(v)
        if isinstance(node, exp.Not):
            inner = build(node.this)
            return lambda v: not inner(v)
        compare = _COMPARE.get(type(node))
        if compare is not None:
            pos, cast = column(node.this)
            rhs = cast(_literal(node.expression, expression))
            return lambda v: compare(cast(v[pos]), rhs)
        if isinstance(node, exp.In):
            pos, cast = column(node.this)
            options = [cast(_literal(e, expression)) for e in node.expressions]
            negate = bool(node.args.get("negate"))
            return lambda v: (cast(v[pos]) in options) != negate
        if isinstance(node, exp.Between):
            pos, cast = column(node.this)
            low = cast(_literal(node.args["low"], expression))
            high = cast(_literal(node.args["high"], expression))
            negate = bool(node.args.get("negate"))
            return lambda v: (low <= cast(v[pos]) <= high) != negate
        if isinstance(node, exp.Like):
            pos, _ = column(node.this)
            regex = _like_regex(str(_literal(node.expression, expression)))
            negate = bool(node.args.get("negate"))
            return lambda v: (regex.match(str(v[pos])) is not None) != negate
        if isinstance(node, exp.Is):
            pos, cast = column(node.this)
            return lambda v: v[pos] is None
        raise InvalidInputError(
            f"unsupported construct {node.sql()!r}", field=f"expression {expression!r}"
        )

    return build(tree)
