"""Table rules as Great Expectations 1.x suites, loaded from JSON or YAML files beside the SQL.

Accepted shape (GX 1.x's own suite JSON; YAML with the same keys)::

    {
      "name": "silver_vitals",                      # optional: defaults to the file's stem
      "meta": {"action": "warn"},                   # optional: default action of the suite
      "expectations": [
        {"type": "expect_column_values_to_be_unique",
         "kwargs": {"column": "record_id"},
         "meta": {"action": "fail", "name": "unique_record_id"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "age", "mostly": 0.95}}
      ],
      "suite_parameters": {},                       # GX's $PARAMETER values, passed through
      "id": "…", "notes": "…"                       # accepted and ignored (GX writes them)
    }

Expectation entries may also carry GX's ``id``, ``notes``, ``description``, ``severity`` and
``rendered_content`` (ignored). GX 0.x spellings ``expectation_suite_name`` and
``expectation_type`` are accepted as aliases. ``meta.action`` is ``warn`` (default: record the
result) or ``fail`` (stop the run); ``meta.name`` names the rule in ``quality.results``
(default ``<type>(<column>)``). Unknown keys are errors, so a typo never silently disables a
rule. Every expectation type is checked against GX's registry (unknown → close matches) and
its arguments against the GX expectation's own model.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from lake.quality.errors import InvalidExpectationError, SuiteFormatError, UnknownExpectationError
from lake.quality.results import RuleAction

__all__ = [
    "TABLE_ACTIONS",
    "TableRule",
    "TableSuite",
    "expectation_types",
    "load_suite",
    "make_rule",
    "parse_suite",
    "unique_rule_names",
]

TABLE_ACTIONS = (RuleAction.WARN, RuleAction.FAIL)
_SUITE_KEYS = {"name", "expectation_suite_name", "expectations", "meta", "suite_parameters", "id", "notes"}
_ITEM_KEYS = {"type", "expectation_type", "kwargs", "meta", "id", "notes", "description", "severity",
              "rendered_content"}
_SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


@dataclass(frozen=True)
class TableRule:
    """One GX expectation with the rule name and action lakeforge records it under."""

    name: str
    type: str
    kwargs: Mapping[str, Any]
    action: RuleAction = RuleAction.WARN
    meta: Mapping[str, Any] = field(default_factory=dict)

    def gx_meta(self) -> dict[str, Any]:
        return {**self.meta, "name": self.name, "action": str(self.action)}

    def to_gx(self) -> Any:
        """The GX ``Expectation`` object (validated by GX's own model)."""
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        config = ExpectationConfiguration(type=self.type, kwargs=dict(self.kwargs), meta=self.gx_meta())
        return config.to_domain_obj()

    def to_dict(self) -> dict[str, Any]:
        """This rule as a GX 1.x suite entry."""
        return {"type": self.type, "kwargs": dict(self.kwargs), "meta": self.gx_meta()}


@dataclass(frozen=True)
class TableSuite:
    """A named list of table rules (from a GX suite file or compiled from DQDL)."""

    name: str
    rules: tuple[TableRule, ...]
    source: str = "<suite>"
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def to_gx_suite(self) -> Any:
        """A fresh ``great_expectations.ExpectationSuite`` holding every rule."""
        import great_expectations as gx

        return gx.ExpectationSuite(name=self.name, expectations=[r.to_gx() for r in self.rules],
                                   suite_parameters=dict(self.parameters))

    def to_dict(self) -> dict[str, Any]:
        """The suite in GX 1.x's JSON shape (loadable by :func:`parse_suite` and by GX)."""
        out: dict[str, Any] = {"name": self.name, "expectations": [r.to_dict() for r in self.rules]}
        if self.parameters:
            out["suite_parameters"] = dict(self.parameters)
        return out


@cache
def expectation_types() -> frozenset[str]:
    """Every expectation type GX 1.x registers (``expect_…``)."""
    from great_expectations.expectations.registry import (
        list_registered_expectation_implementations,
        register_core_expectations,
    )

    register_core_expectations()
    return frozenset(list_registered_expectation_implementations())


def make_rule(
    type: Any,
    kwargs: Mapping[str, Any] | None = None,
    *,
    action: RuleAction | str = RuleAction.WARN,
    name: str | None = None,
    meta: Mapping[str, Any] | None = None,
    source: str = "<suite>",
) -> TableRule:
    """A checked :class:`TableRule`: the type exists in GX and GX accepts the arguments."""
    if not isinstance(type, str) or not type:
        raise SuiteFormatError(source, f"an expectation needs a 'type' string, got {type!r}")
    known = expectation_types()
    if type not in known:
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", type).lower()
        close = difflib.get_close_matches(snake, sorted(known), n=5, cutoff=0.6)
        raise UnknownExpectationError(source=source, expectation=type, suggestions=close)
    if kwargs is not None and not isinstance(kwargs, Mapping):
        raise SuiteFormatError(source, f"{type}: 'kwargs' must be a mapping, got {kwargs!r}")
    try:
        parsed_action = RuleAction.parse(action, allowed=TABLE_ACTIONS)
    except Exception:
        raise SuiteFormatError(source, f"{type}: meta.action must be warn | fail, got {action!r}") from None
    rule = TableRule(
        name=name or _default_name(type, kwargs or {}),
        type=type,
        kwargs=dict(kwargs or {}),
        action=parsed_action,
        meta={k: v for k, v in (meta or {}).items() if k not in ("name", "action")},
    )
    _check_with_gx(rule, source)
    return rule


def parse_suite(data: Any, *, source: str = "<suite>", default_name: str | None = None) -> TableSuite:
    """A :class:`TableSuite` from an already-decoded suite document (see the module docstring)."""
    if not isinstance(data, Mapping):
        raise SuiteFormatError(source, "a suite must be a mapping with an 'expectations' list")
    unknown = sorted(set(data) - _SUITE_KEYS)
    if unknown:
        raise SuiteFormatError(source, f"unknown suite keys {unknown}; accepted: {sorted(_SUITE_KEYS)}")
    name = data.get("name") or data.get("expectation_suite_name") or default_name
    if not isinstance(name, str) or not name.strip():
        raise SuiteFormatError(source, "the suite needs a 'name'")
    items = data.get("expectations")
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise SuiteFormatError(source, "'expectations' must be a list")
    suite_meta = data.get("meta") or {}
    if not isinstance(suite_meta, Mapping):
        raise SuiteFormatError(source, "'meta' must be a mapping")
    default_action = suite_meta.get("action", RuleAction.WARN)
    parameters = data.get("suite_parameters") or {}
    if not isinstance(parameters, Mapping):
        raise SuiteFormatError(source, "'suite_parameters' must be a mapping")
    rules: list[TableRule] = []
    for index, item in enumerate(items):
        where = f"{source} expectations[{index}]"
        if not isinstance(item, Mapping):
            raise SuiteFormatError(where, "each expectation must be a mapping with 'type' and 'kwargs'")
        extra = sorted(set(item) - _ITEM_KEYS)
        if extra:
            raise SuiteFormatError(where, f"unknown keys {extra}; accepted: {sorted(_ITEM_KEYS)}")
        meta = item.get("meta") or {}
        if not isinstance(meta, Mapping):
            raise SuiteFormatError(where, "'meta' must be a mapping")
        rule = make_rule(
            item.get("type") or item.get("expectation_type"),
            item.get("kwargs") or {},
            action=meta.get("action", default_action),
            name=meta.get("name"),
            meta=meta,
            source=where,
        )
        rules.append(rule)
    return TableSuite(name=name.strip(), rules=unique_rule_names(rules), source=source, parameters=dict(parameters))


def load_suite(path: str | Path) -> TableSuite:
    """Load a GX suite from a ``.json``, ``.yaml`` or ``.yml`` file."""
    path = Path(path)
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise SuiteFormatError(str(path), f"unknown suite file type {path.suffix!r}; use .json, .yaml or .yml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteFormatError(str(path), f"cannot read: {exc.strerror or exc}") from None
    return parse_suite(_decode(text, fmt, str(path)), source=str(path), default_name=path.stem)


def _decode(text: str, fmt: str, source: str) -> Any:
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise SuiteFormatError(source, f"invalid JSON at {where}: {exc.msg}") from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SuiteFormatError(source, f"invalid YAML{where}: {problem}") from None


def _default_name(type: str, kwargs: Mapping[str, Any]) -> str:
    if "column" in kwargs:
        return f"{type}({kwargs['column']})"
    if "column_list" in kwargs and isinstance(kwargs["column_list"], Sequence):
        return f"{type}({', '.join(str(c) for c in kwargs['column_list'])})"
    if "column_A" in kwargs and "column_B" in kwargs:
        return f"{type}({kwargs['column_A']}, {kwargs['column_B']})"
    return type


def unique_rule_names(rules: Sequence[TableRule]) -> tuple[TableRule, ...]:
    """Suffix ``#2``, ``#3`` … to repeated rule names so each result row is distinguishable."""
    seen: dict[str, int] = {}
    out: list[TableRule] = []
    for rule in rules:
        count = seen.get(rule.name, 0) + 1
        seen[rule.name] = count
        if count > 1:
            rule = TableRule(f"{rule.name} #{count}", rule.type, rule.kwargs, rule.action, rule.meta)
        out.append(rule)
    return tuple(out)


def _check_with_gx(rule: TableRule, source: str) -> None:
    from great_expectations.exceptions import GreatExpectationsError

    try:
        rule.to_gx()
    except (ValueError, TypeError, GreatExpectationsError) as exc:
        raise InvalidExpectationError(source=source, expectation=rule.type, reason=_explain(exc)) from None


def _explain(exc: Exception) -> str:
    """One line from a pydantic validation error (first message per argument), else the text."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    first: dict[str, str] = {}
    for err in errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "arguments"
        first.setdefault("arguments" if loc == "__root__" else loc, str(err.get("msg", "")))
    return "; ".join(f"{loc}: {msg}" for loc, msg in first.items())
