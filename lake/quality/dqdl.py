"""A subset of AWS Glue Data Quality's DQDL, compiled to Great Expectations expectations.

``Rules = [ IsComplete "id", ColumnValues "age" between 18 and 100, RowCount > 0 ]`` becomes a
:class:`~lake.quality.suites.TableSuite` that :mod:`lake.quality.gx_runner` runs with GX. A
tokenizer and a recursive-descent parser follow DQDL's grammar (awslabs/dqdl): sections
``Metadata = {…}`` and ``Sources = {…}`` (parsed, ignored), ``Rules = [rule, …]``, ``#``
comments; a rule is ``RuleType parameter* condition? (with threshold condition)?``.

Supported rule types (``<cmp>`` is ``> v``, ``>= v``, ``< v``, ``<= v``, ``= v`` or
``between a and b``; DQDL's ``between`` is exclusive, so it maps to ``strict_min``/``strict_max``):

=================================  =============================================================
DQDL                               GX expectation
=================================  =============================================================
IsComplete "c"                     expect_column_values_to_not_be_null
Completeness "c" <cmp>             expect_column_proportion_of_non_null_values_to_be_between
IsUnique "c"                       expect_column_values_to_be_unique
Uniqueness "c" <cmp>               expect_column_proportion_of_unique_values_to_be_between (¹)
IsPrimaryKey "c" ["d" …]           expect_column_values_to_not_be_null per column, plus
                                   expect_column_values_to_be_unique (one column) or
                                   expect_compound_columns_to_be_unique (several)
ColumnExists "c"                   expect_column_to_exist
ColumnValues "c" <cmp>             expect_column_values_to_be_between (``= v``: to_be_in_set [v])
ColumnValues "c" in [..]           expect_column_values_to_be_in_set
ColumnValues "c" not in [..]       expect_column_values_to_not_be_in_set (also ``!= v``)
ColumnValues "c" matches "re"      expect_column_values_to_match_regex (``not matches``: not_match)
ColumnLength "c" <cmp>             expect_column_value_lengths_to_be_between (``= n``: _to_equal)
DistinctValuesCount "c" <cmp>      expect_column_unique_value_count_to_be_between
Mean / Sum / StandardDeviation "c"  expect_column_mean / _sum / _stdev _to_be_between
RowCount <cmp>                     expect_table_row_count_to_be_between (``= n``: _to_equal)
ColumnCount <cmp>                  expect_table_column_count_to_be_between (``= n``: _to_equal)
=================================  =============================================================

``with threshold >= t`` (or ``> t``) on IsComplete, IsUnique, ColumnValues and ColumnLength
becomes GX's ``mostly=t`` (GX's ``mostly`` is inclusive). (¹) GX's unique proportion is
distinct values / non-null values; Glue's Uniqueness counts values that occur exactly once.

Not supported (a clear error naming the rule and listing the types above): composite rules
``(…) and (…)``, ``where`` clauses, dynamic expressions (``avg(last(3))``, ``now()``), ``not
between``, ``NULL``/``EMPTY`` keywords in sets, and every other rule type (CustomSql,
DataFreshness, ReferentialIntegrity, DatasetMatch, Entropy, …). Syntax errors give the line and
column. Glue has no per-rule actions; the whole ruleset gets one (``warn`` by default).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lake.quality.errors import DqdlSyntaxError, UnsupportedDqdlRuleError
from lake.quality.results import RuleAction
from lake.quality.suites import TableRule, TableSuite, make_rule, unique_rule_names

__all__ = [
    "SUPPORTED_RULE_TYPES",
    "Condition",
    "DqdlRule",
    "compile_dqdl",
    "load_dqdl",
    "parse_dqdl",
]

# ---------------------------------------------------------------------------------------------
# Tokenizer

_TOKEN_SPEC = [
    ("comment", r"#[^\n]*"),
    ("newline", r"\n"),
    ("space", r"[ \t\r]+"),
    ("string", r'"(?:\\.|[^"\\\n])*"'),
    ("number", r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"),
    ("op", r">=|<=|!=|<>|=|>|<"),
    ("punct", r"[\[\](){},:+-]"),
    ("ident", r"[A-Za-z_][A-Za-z0-9_.]*(?:\(\))?"),
    ("unterminated", r'"'),
    ("other", r"."),
]
_TOKEN_RE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _TOKEN_SPEC))


@dataclass(frozen=True)
class _Token:
    kind: str  # string | number | op | punct | ident | eof
    text: str
    line: int
    column: int
    offset: int
    end: int

    @property
    def value(self) -> Any:
        if self.kind == "string":
            return re.sub(r"\\(.)", r"\1", self.text[1:-1])
        if self.kind == "number":
            number = float(self.text)
            return int(number) if re.fullmatch(r"-?\d+", self.text) else number
        return self.text

    def describe(self) -> str:
        return "end of input" if self.kind == "eof" else repr(self.text)


def _tokenize(text: str, source: str) -> list[_Token]:
    tokens: list[_Token] = []
    line, line_start = 1, 0
    for match in _TOKEN_RE.finditer(text):
        kind, value, start = match.lastgroup or "other", match.group(), match.start()
        column = start - line_start + 1
        if kind == "newline":
            line, line_start = line + 1, match.end()
        elif kind == "unterminated":
            raise DqdlSyntaxError(source, line, column, "unterminated string (missing closing \")")
        elif kind == "other":
            raise DqdlSyntaxError(source, line, column, f"unexpected character {value!r}")
        elif kind not in ("space", "comment"):
            tokens.append(_Token(kind, value, line, column, start, match.end()))
    tokens.append(_Token("eof", "", line, len(text) - line_start + 1, len(text), len(text)))
    return tokens


# ---------------------------------------------------------------------------------------------
# Syntax tree and parser


@dataclass(frozen=True)
class Condition:
    """``op`` is one of ``> >= < <= = != between in matches`` (``not_`` negates in/matches/between)."""

    op: str
    operands: tuple[Any, ...]
    negated: bool = False


@dataclass(frozen=True)
class DqdlRule:
    """One parsed DQDL rule, with its text and position for names and errors."""

    type: str
    parameters: tuple[Any, ...]
    condition: Condition | None
    threshold: Condition | None
    text: str
    line: int
    column: int
    extras: tuple[str, ...] = field(default=())  # unsupported clauses seen (where, composite)


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.tokens = _tokenize(text, source)
        self.pos = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.pos]

    def advance(self) -> _Token:
        token = self.tok
        if token.kind != "eof":
            self.pos += 1
        return token

    def error(self, reason: str, token: _Token | None = None) -> DqdlSyntaxError:
        token = token or self.tok
        return DqdlSyntaxError(self.source, token.line, token.column, reason)

    def at(self, kind: str, text: str | None = None) -> bool:
        return self.tok.kind == kind and (text is None or self.tok.text == text)

    def expect(self, kind: str, text: str | None = None, what: str | None = None) -> _Token:
        if not self.at(kind, text):
            raise self.error(f"expected {what or repr(text) or kind}, found {self.tok.describe()}")
        return self.advance()

    # document := (Metadata = dict)? (Sources = dict)? Rules = [ rules ]
    def document(self) -> list[DqdlRule]:
        rules: list[DqdlRule] | None = None
        while not self.at("eof"):
            section = self.expect("ident", what="a section (Rules = [ … ])")
            if section.text not in ("Rules", "Metadata", "Sources"):
                raise self.error(f"unknown section {section.text!r}; expected Rules, Metadata or Sources", section)
            self.expect("op", "=")
            if section.text == "Rules":
                if rules is not None:
                    raise self.error("a second Rules section", section)
                rules = self.rule_list()
            else:
                self.dictionary()
        if rules is None:
            raise self.error("no Rules = [ … ] section")
        return rules

    def dictionary(self) -> None:
        self.expect("punct", "{")
        if not self.at("punct", "}"):
            while True:
                self.expect("string", what="a quoted key")
                self.expect("punct", ":")
                if self.at("punct", "["):
                    self.value_list()
                else:
                    self.expect("string", what="a quoted value")
                if not self.at("punct", ","):
                    break
                self.advance()
        self.expect("punct", "}")

    def rule_list(self) -> list[DqdlRule]:
        self.expect("punct", "[")
        rules: list[DqdlRule] = []
        if self.at("punct", "]"):
            self.advance()
            return rules
        while True:
            rules.append(self.top_level_rule())
            if self.at("punct", ","):
                self.advance()
                continue
            if self.at("punct", "]"):
                self.advance()
                return rules
            raise self.error(f"expected ',' or ']' after a rule, found {self.tok.describe()}")

    def top_level_rule(self) -> DqdlRule:
        if not self.at("punct", "("):
            return self.rule()
        # Composite rule: parse it fully (so syntax errors still point at the right place), then
        # return it marked unsupported.
        start = self.tok
        self.advance()
        inner = self.rule()
        self.expect("punct", ")")
        while self.at("ident", "and") or self.at("ident", "or") or self.at("ident", "AND") or self.at("ident", "OR"):
            self.advance()
            self.expect("punct", "(")
            self.rule()
            self.expect("punct", ")")
        text = self._text(start, self.tokens[self.pos - 1])
        return DqdlRule(inner.type, inner.parameters, inner.condition, inner.threshold, text,
                        start.line, start.column, extras=("composite rules (… and/or …)",))

    def rule(self) -> DqdlRule:
        start = self.expect("ident", what="a rule type (e.g. IsComplete)")
        if start.text in _KEYWORDS:
            raise self.error(f"expected a rule type, found keyword {start.text!r}", start)
        parameters: list[Any] = []
        while self.at("string") or (self.at("number") and re.fullmatch(r"\d+", self.tok.text)):
            parameters.append(self.advance().value)
        condition = self.condition(optional=True)
        threshold = None
        extras: list[str] = []
        if self.at("ident", "with"):
            self.advance()
            self.expect("ident", "threshold")
            threshold = self.condition(optional=False)
        if self.at("ident", "where"):
            self.advance()
            self.expect("string", what="a quoted where clause")
            extras.append("where clauses")
        text = self._text(start, self.tokens[self.pos - 1])
        return DqdlRule(start.text, tuple(parameters), condition, threshold, text, start.line, start.column,
                        tuple(extras))

    def condition(self, *, optional: bool) -> Condition | None:
        negated = False
        if self.at("ident", "not"):
            self.advance()
            negated = True
        if self.at("op"):
            op = self.advance().text
            if negated:
                raise self.error(f"'not' cannot precede {op!r}")
            return Condition("!=" if op == "<>" else op, (self.scalar(),))
        if self.at("ident", "between"):
            self.advance()
            low = self.scalar()
            if not (self.at("ident", "and") or self.at("ident", "AND")):
                raise self.error(f"expected 'and' in 'between … and …', found {self.tok.describe()}")
            self.advance()
            return Condition("between", (low, self.scalar()), negated)
        if self.at("ident", "in"):
            self.advance()
            return Condition("in", tuple(self.value_list()), negated)
        if self.at("ident", "matches"):
            self.advance()
            return Condition("matches", (self.expect("string", what="a quoted regular expression").value,), negated)
        if negated or not optional:
            found = self.tok.describe()
            raise self.error(f"expected a condition (>, >=, <, <=, =, between, in, matches), found {found}")
        return None

    def scalar(self) -> Any:
        if self.at("number") or self.at("string"):
            return self.advance().value
        if self.at("punct", "("):
            raise self.error("dynamic expressions such as (now() - 3 days) are not supported; use a constant")
        if self.at("ident") and self.tok.text not in _KEYWORDS:
            raise self.error(f"dynamic expression {self.tok.text!r} is not supported; use a constant")
        raise self.error(f"expected a number or a quoted string, found {self.tok.describe()}")

    def value_list(self) -> list[Any]:
        self.expect("punct", "[")
        values: list[Any] = []
        while True:
            if self.at("ident") and self.tok.text.upper() in ("NULL", "EMPTY", "WHITESPACES_ONLY"):
                raise self.error(f"the {self.tok.text} keyword in a set is not supported")
            values.append(self.scalar())
            if self.at("punct", ","):
                self.advance()
                continue
            self.expect("punct", "]", what="',' or ']'")
            return values

    def _text(self, first: _Token, last: _Token) -> str:
        return " ".join(self.text[first.offset:last.end].split())


_KEYWORDS = frozenset({"between", "and", "AND", "or", "OR", "in", "not", "with", "threshold", "matches", "where"})


def parse_dqdl(text: str, *, source: str = "<dqdl>") -> list[DqdlRule]:
    """Parse a DQDL document into rules (syntax only; see :func:`compile_dqdl`)."""
    return _Parser(text, source).document()


# ---------------------------------------------------------------------------------------------
# Translation to GX expectations

_Expectation = tuple[str, dict[str, Any], str]  # (GX type, kwargs, name suffix)


def _bounds(rule: DqdlRule, cond: Condition, *, whole: bool) -> dict[str, Any]:
    """``min_value``/``max_value``/strictness for a numeric comparison or (exclusive) between."""
    numbers = list(cond.operands)
    for n in numbers:
        if not isinstance(n, int | float) or isinstance(n, bool):
            raise _unsupported(rule, f"{rule.type} compares with numbers, got {n!r}")
        if whole and not isinstance(n, int):
            raise _unsupported(rule, f"{rule.type} compares with whole numbers, got {n!r}")
    return _range(rule, cond)


def _range(rule: DqdlRule, cond: Condition) -> dict[str, Any]:
    if cond.negated:
        raise _unsupported(rule, f"'not {cond.op}' is not supported")
    ops: dict[str, Callable[[tuple[Any, ...]], dict[str, Any]]] = {
        ">": lambda v: {"min_value": v[0], "strict_min": True},
        ">=": lambda v: {"min_value": v[0]},
        "<": lambda v: {"max_value": v[0], "strict_max": True},
        "<=": lambda v: {"max_value": v[0]},
        "=": lambda v: {"min_value": v[0], "max_value": v[0]},
        "between": lambda v: {"min_value": v[0], "max_value": v[1], "strict_min": True, "strict_max": True},
    }
    if cond.op not in ops:
        raise _unsupported(rule, f"the condition '{cond.op}' for {rule.type} is not supported")
    return ops[cond.op](cond.operands)


def _column(rule: DqdlRule) -> list[str]:
    """The rule's one quoted column name."""
    if len(rule.parameters) != 1 or not isinstance(rule.parameters[0], str):
        raise _unsupported(rule, f"{rule.type} without exactly one quoted column name is not supported")
    return [rule.parameters[0]]


def _columns(rule: DqdlRule) -> list[str]:
    """The rule's quoted column names (one or more)."""
    if not rule.parameters or not all(isinstance(p, str) for p in rule.parameters):
        raise _unsupported(rule, f"{rule.type} without quoted column names is not supported")
    return [str(p) for p in rule.parameters]


def _need(rule: DqdlRule, condition: bool) -> Condition:
    if condition and rule.condition is None:
        raise _unsupported(rule, f"{rule.type} without a condition (such as > 0 or between 1 and 10) is not supported")
    if not condition and rule.condition is not None:
        raise _unsupported(rule, f"{rule.type} with a condition is not supported")
    return rule.condition  # type: ignore[return-value]


def _mostly(rule: DqdlRule, kwargs: dict[str, Any]) -> dict[str, Any]:
    if rule.threshold is None:
        return kwargs
    cond = rule.threshold
    value = cond.operands[0] if cond.operands else None
    if cond.negated or cond.op not in (">", ">=") or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise _unsupported(rule, "'with threshold' other than > t or >= t (0 ≤ t ≤ 1) is not supported")
    return {**kwargs, "mostly": float(value)}


def _no_threshold(rule: DqdlRule) -> None:
    if rule.threshold is not None:
        raise _unsupported(rule, f"'with threshold' on {rule.type} is not supported")


def _is_complete(rule: DqdlRule) -> list[_Expectation]:
    (col,) = _column(rule)
    _need(rule, False)
    return [("expect_column_values_to_not_be_null", _mostly(rule, {"column": col}), "")]


def _completeness(rule: DqdlRule) -> list[_Expectation]:
    (col,) = _column(rule)
    _no_threshold(rule)
    kwargs = {"column": col, **_bounds(rule, _need(rule, True), whole=False)}
    return [("expect_column_proportion_of_non_null_values_to_be_between", kwargs, "")]


def _is_unique(rule: DqdlRule) -> list[_Expectation]:
    (col,) = _column(rule)
    _need(rule, False)
    return [("expect_column_values_to_be_unique", _mostly(rule, {"column": col}), "")]


def _uniqueness(rule: DqdlRule) -> list[_Expectation]:
    (col,) = _column(rule)
    _no_threshold(rule)
    kwargs = {"column": col, **_bounds(rule, _need(rule, True), whole=False)}
    return [("expect_column_proportion_of_unique_values_to_be_between", kwargs, "")]


def _is_primary_key(rule: DqdlRule) -> list[_Expectation]:
    cols = _columns(rule)
    _need(rule, False)
    _no_threshold(rule)
    out: list[_Expectation] = [("expect_column_values_to_not_be_null", {"column": c}, f" [not null: {c}]")
                               for c in cols]
    if len(cols) == 1:
        out.append(("expect_column_values_to_be_unique", {"column": cols[0]}, " [unique]"))
    else:
        out.append(("expect_compound_columns_to_be_unique", {"column_list": cols}, " [unique]"))
    return out


def _column_exists(rule: DqdlRule) -> list[_Expectation]:
    (col,) = _column(rule)
    _need(rule, False)
    _no_threshold(rule)
    return [("expect_column_to_exist", {"column": col}, "")]


def _column_values(rule: DqdlRule) -> list[_Expectation]:
    (col,) = _column(rule)
    cond = _need(rule, True)
    base = {"column": col}
    if cond.op == "in":
        kind = "expect_column_values_to_not_be_in_set" if cond.negated else "expect_column_values_to_be_in_set"
        return [(kind, _mostly(rule, {**base, "value_set": list(cond.operands)}), "")]
    if cond.op == "matches":
        kind = "expect_column_values_to_not_match_regex" if cond.negated else "expect_column_values_to_match_regex"
        return [(kind, _mostly(rule, {**base, "regex": cond.operands[0]}), "")]
    if cond.op == "=":
        return [("expect_column_values_to_be_in_set", _mostly(rule, {**base, "value_set": [cond.operands[0]]}), "")]
    if cond.op == "!=":
        return [("expect_column_values_to_not_be_in_set",
                 _mostly(rule, {**base, "value_set": [cond.operands[0]]}), "")]
    return [("expect_column_values_to_be_between", _mostly(rule, {**base, **_range(rule, cond)}), "")]


def _column_length(rule: DqdlRule) -> list[_Expectation]:
    (col,) = _column(rule)
    cond = _need(rule, True)
    if cond.op == "=" and not cond.negated:
        value = cond.operands[0]
        if not isinstance(value, int):
            raise _unsupported(rule, f"ColumnLength compares with whole numbers, got {value!r}")
        return [("expect_column_value_lengths_to_equal", _mostly(rule, {"column": col, "value": value}), "")]
    kwargs = {"column": col, **_bounds(rule, cond, whole=True)}
    return [("expect_column_value_lengths_to_be_between", _mostly(rule, kwargs), "")]


def _aggregate(kind: str, *, whole: bool = False) -> Callable[[DqdlRule], list[_Expectation]]:
    def translate(rule: DqdlRule) -> list[_Expectation]:
        (col,) = _column(rule)
        _no_threshold(rule)
        return [(kind, {"column": col, **_bounds(rule, _need(rule, True), whole=whole)}, "")]

    return translate


def _table_count(between: str, equal: str) -> Callable[[DqdlRule], list[_Expectation]]:
    def translate(rule: DqdlRule) -> list[_Expectation]:
        if rule.parameters:
            raise _unsupported(rule, f"{rule.type} with a column parameter is not supported")
        _no_threshold(rule)
        cond = _need(rule, True)
        if cond.op == "=" and not cond.negated:
            value = cond.operands[0]
            if not isinstance(value, int):
                raise _unsupported(rule, f"{rule.type} compares with whole numbers, got {value!r}")
            return [(equal, {"value": value}, "")]
        return [(between, _bounds(rule, cond, whole=True), "")]

    return translate


_TRANSLATORS: dict[str, Callable[[DqdlRule], list[_Expectation]]] = {
    "IsComplete": _is_complete,
    "Completeness": _completeness,
    "IsUnique": _is_unique,
    "Uniqueness": _uniqueness,
    "IsPrimaryKey": _is_primary_key,
    "ColumnExists": _column_exists,
    "ColumnValues": _column_values,
    "ColumnLength": _column_length,
    "DistinctValuesCount": _aggregate("expect_column_unique_value_count_to_be_between", whole=True),
    "Mean": _aggregate("expect_column_mean_to_be_between"),
    "Sum": _aggregate("expect_column_sum_to_be_between"),
    "StandardDeviation": _aggregate("expect_column_stdev_to_be_between"),
    "RowCount": _table_count("expect_table_row_count_to_be_between", "expect_table_row_count_to_equal"),
    "ColumnCount": _table_count("expect_table_column_count_to_be_between", "expect_table_column_count_to_equal"),
}
SUPPORTED_RULE_TYPES: tuple[str, ...] = tuple(_TRANSLATORS)

class _Unsupported(Exception):
    """Raised by a translator; :func:`_compile_rule` turns it into UnsupportedDqdlRuleError."""


def _unsupported(rule: DqdlRule, reason: str) -> _Unsupported:
    return _Unsupported(reason)


def compile_dqdl(
    text: str,
    *,
    name: str = "dqdl",
    action: RuleAction | str = RuleAction.WARN,
    source: str = "<dqdl>",
) -> TableSuite:
    """Compile a DQDL document to a :class:`TableSuite` of GX expectations (one ``action`` for all)."""
    rules = parse_dqdl(text, source=source)
    table_rules = [r for rule in rules for r in _compile_rule(rule, action, source)]
    return TableSuite(name=name, rules=unique_rule_names(table_rules), source=source)


def load_dqdl(path: str | Path, *, action: RuleAction | str = RuleAction.WARN) -> TableSuite:
    """Compile a ``.dqdl`` file; the suite is named after the file's stem."""
    path = Path(path)
    return compile_dqdl(path.read_text(encoding="utf-8"), name=path.stem, action=action, source=str(path))


def _compile_rule(rule: DqdlRule, action: RuleAction | str, source: str) -> list[TableRule]:
    def error(reason: str) -> UnsupportedDqdlRuleError:
        return UnsupportedDqdlRuleError(source=source, line=rule.line, rule=rule.text, reason=reason,
                                        supported=SUPPORTED_RULE_TYPES)

    if rule.extras:
        raise error(f"{rule.extras[0]} are not supported")
    translate = _TRANSLATORS.get(rule.type)
    if translate is None:
        raise error(f"rule type {rule.type!r} is not supported")
    try:
        expectations = translate(rule)
    except _Unsupported as exc:
        raise error(str(exc)) from None
    return [make_rule(kind, kwargs, action=action, name=rule.text + suffix, meta={"dqdl": rule.text},
                      source=f"{source} line {rule.line}")
            for kind, kwargs, suffix in expectations]
