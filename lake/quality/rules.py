"""Row rules with Delta Live Tables semantics: warn keeps and counts, drop quarantines, fail stops.

A :class:`RowRule` is ``CONSTRAINT name EXPECT (expression) [ON VIOLATION DROP ROW | FAIL UPDATE]``:
a Spark SQL boolean expression evaluated on every row.

**NULL semantics.** A row *passes* a rule only when the expression is TRUE; FALSE **and NULL**
count as failures (``age BETWEEN 18 AND 100`` fails a row whose ``age`` is NULL). This is the
stricter reading of an expectation ("a boolean that is true or false"), unlike a SQL CHECK
constraint where NULL passes; write ``age IS NULL OR age BETWEEN 18 AND 100`` to let NULLs pass.

**Passes over the data.** :func:`flag_rows` is one projection that adds, per rule, a boolean
"failed" column, the array ``_failed_rules`` and a drop flag. :func:`apply_row_rules` computes
every count in one aggregate over it; the kept and quarantine frames are filters of the same
projection, so a caller that persists it (``persist=True``) reads the source once. Only a
violated ``fail`` rule costs one more (small) job: collecting up to 5 failing rows for the error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lake.quality.errors import (
    QualityGateError,
    QuarantineFrameError,
    RuleDefinitionError,
    RuleExpressionError,
)
from lake.quality.results import (
    QualityResult,
    RuleAction,
    RuleKind,
    new_run_id,
    status_for,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = [
    "FAILED_RULES",
    "SAMPLE_ROWS",
    "RowRule",
    "RowRuleOutcome",
    "apply_row_rules",
    "flag_rows",
    "render_row",
]

FAILED_RULES = "_failed_rules"
SAMPLE_ROWS = 5
_FLAG = "__lf_rule_failed_{}"
_DROP = "__lf_drop"
_PYSPARK_ERROR_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


@dataclass(frozen=True)
class RowRule:
    """``CONSTRAINT name EXPECT (expression)`` with an action (default ``warn``)."""

    name: str
    expression: str
    action: RuleAction = RuleAction.WARN

    def __post_init__(self) -> None:
        if not str(self.name or "").strip():
            raise RuleDefinitionError(str(self.name), "a rule needs a non-empty name")
        if not str(self.expression or "").strip():
            raise RuleDefinitionError(self.name, "the EXPECT expression is empty")
        if not isinstance(self.action, RuleAction):
            try:
                object.__setattr__(self, "action", RuleAction.parse(self.action))
            except Exception:
                raise RuleDefinitionError(
                    self.name, f"unknown action {self.action!r}; use warn | drop | fail"
                ) from None


@dataclass
class RowRuleOutcome:
    """Counts and frames of one evaluation of row rules over a DataFrame."""

    table: str | None
    run_id: str
    rules: tuple[RowRule, ...]
    flagged: DataFrame
    columns: tuple[str, ...]
    evaluated: int
    failed: Mapping[str, int]
    dropped: int
    seconds: float
    persisted: bool = False
    results: tuple[QualityResult, ...] = field(default=())

    @property
    def kept(self) -> DataFrame:
        """The source rows minus those failing any ``drop`` rule (warned rows stay)."""
        from pyspark.sql import functions as F

        return self.flagged.where(~F.col(_DROP)).select(*_quoted(self.columns))

    @property
    def quarantine(self) -> DataFrame:
        """The dropped rows, whole, plus ``_failed_rules``: every rule each one failed."""
        from pyspark.sql import functions as F

        return self.flagged.where(F.col(_DROP)).select(*_quoted(self.columns), FAILED_RULES)

    @property
    def kept_count(self) -> int:
        return self.evaluated - self.dropped

    def violated(self, action: RuleAction | None = None) -> list[RowRule]:
        """Rules (optionally of one action) that at least one row failed, in declaration order."""
        return [r for r in self.rules if self.failed[r.name] and (action is None or r.action is action)]

    def raise_for_failures(self) -> None:
        """Raise :class:`QualityGateError` for the first violated ``fail`` rule, with a sample."""
        failing = self.violated(RuleAction.FAIL)
        if not failing:
            return
        rule = failing[0]
        index = self.rules.index(rule)
        shown = _referenced_columns(rule.expression, self.columns) or list(self.columns)
        rows = self.flagged.where(_flag_col(index)).select(*_quoted(shown)).limit(SAMPLE_ROWS).collect()
        raise QualityGateError(
            table=self.table,
            rule=rule.name,
            kind=str(RuleKind.ROW),
            failed=self.failed[rule.name],
            sample=[render_row(row.asDict()) for row in rows],
            results=self.results,
        )

    def unpersist(self) -> None:
        """Release the persisted projection (no-op unless ``persist=True`` was given)."""
        if self.persisted:
            self.flagged.unpersist()
            self.persisted = False


def flag_rows(df: DataFrame, rules: Sequence[RowRule]) -> DataFrame:
    """``df`` plus one boolean "failed" column per rule, ``_failed_rules`` and the drop flag.

    Raises :class:`RuleExpressionError` naming the rule for an expression that does not parse,
    names an unknown column or function, aggregates, or is not boolean.
    """
    from pyspark.sql import functions as F

    rules = _checked_rules(rules)
    if FAILED_RULES in df.columns:
        raise QuarantineFrameError(f"the source already has a column named {FAILED_RULES!r}; rename it in the SELECT")
    conditions = [_parse(rule) for rule in rules]
    with _quiet_pyspark_errors():
        try:
            probe = df.select("*", *[c.alias(_FLAG.format(i)) for i, c in enumerate(conditions)])
        except Exception as exc:
            if not _is_spark_error(exc):
                raise
            raise _locate_bad_rule(df, rules, conditions) from None
    _check_boolean(probe, rules)
    flags = [(~F.coalesce(cond, F.lit(False))).alias(_FLAG.format(i)) for i, cond in enumerate(conditions)]
    projected = df.select("*", *flags)
    names = [F.when(_flag_col(i), F.lit(rule.name)) for i, rule in enumerate(rules)]
    failed_rules = F.filter(F.array(*names), lambda n: n.isNotNull()) if names else F.array().cast("array<string>")
    drops = [_flag_col(i) for i, rule in enumerate(rules) if rule.action is RuleAction.DROP]
    drop = F.lit(False)
    for flag in drops:
        drop = drop | flag
    return projected.select("*", failed_rules.alias(FAILED_RULES), drop.alias(_DROP))


def apply_row_rules(
    df: DataFrame,
    rules: Sequence[RowRule],
    *,
    table: str | None = None,
    run_id: str | None = None,
    persist: bool = False,
    raise_on_fail: bool = True,
) -> RowRuleOutcome:
    """Evaluate ``rules`` on ``df``: per-rule counts in one aggregate, kept and quarantine frames.

    With ``raise_on_fail`` (default) a violated ``fail`` rule raises :class:`QualityGateError`
    carrying a sample and every rule's result; pass ``False`` to record results first and call
    :meth:`RowRuleOutcome.raise_for_failures` yourself. ``persist=True`` caches the flagged
    projection so writing ``kept`` and ``quarantine`` does not recompute the source.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    rules = _checked_rules(rules)
    run_id = run_id or new_run_id()
    flagged = flag_rows(df, rules)
    if persist:
        flagged = flagged.persist(StorageLevel.MEMORY_AND_DISK)
    aggregates = [F.count(F.lit(1)).alias("n"), F.sum(F.col(_DROP).cast("long")).alias("dropped")]
    aggregates += [F.sum(_flag_col(i).cast("long")).alias(f"f{i}") for i in range(len(rules))]
    start = time.perf_counter()
    row = flagged.agg(*aggregates).first()
    seconds = time.perf_counter() - start
    assert row is not None  # a global aggregate always yields one row
    failed = {rule.name: int(row[f"f{i}"] or 0) for i, rule in enumerate(rules)}
    evaluated = int(row["n"])
    outcome = RowRuleOutcome(
        table=table,
        run_id=run_id,
        rules=rules,
        flagged=flagged,
        columns=tuple(df.columns),
        evaluated=evaluated,
        failed=failed,
        dropped=int(row["dropped"] or 0),
        seconds=seconds,
        persisted=persist,
    )
    share = seconds / len(rules) if rules else 0.0
    outcome.results = tuple(
        QualityResult(
            run_id=run_id,
            table=table or "",
            rule=rule.name,
            kind=RuleKind.ROW,
            action=rule.action,
            evaluated=evaluated,
            failed=failed[rule.name],
            status=status_for(rule.action, failed[rule.name] > 0),
            seconds=share,
            details={"expression": rule.expression, "pass_seconds": round(seconds, 6)},
        )
        for rule in rules
    )
    if raise_on_fail:
        try:
            outcome.raise_for_failures()
        except QualityGateError:
            outcome.unpersist()
            raise
    return outcome


def render_row(row: Mapping[str, Any], width: int = 40) -> str:
    """``(age=150, id=3)``: a compact one-line rendering of a sample row."""

    def show(value: Any) -> str:
        text = "NULL" if value is None else str(value)
        return text if len(text) <= width else text[: width - 1] + "…"

    return "(" + ", ".join(f"{k}={show(v)}" for k, v in row.items()) + ")"


def _checked_rules(rules: Sequence[RowRule]) -> tuple[RowRule, ...]:
    rules = tuple(rules)
    seen: set[str] = set()
    for rule in rules:
        if not isinstance(rule, RowRule):
            raise TypeError(f"expected RowRule, got {type(rule).__name__}")
        if rule.name in seen:
            raise RuleDefinitionError(rule.name, "two rules have this name; constraint names must be unique")
        seen.add(rule.name)
    return rules


def _flag_col(index: int) -> Column:
    from pyspark.sql import functions as F

    return F.col(_FLAG.format(index))


def _quoted(columns: Sequence[str]) -> list[Column]:
    from pyspark.sql import functions as F

    return [F.col("`" + c.replace("`", "``") + "`") for c in columns]


def _is_spark_error(exc: BaseException) -> bool:
    from pyspark.errors import PySparkException

    return isinstance(exc, PySparkException)


def _parse(rule: RowRule) -> Column:
    from pyspark.sql import functions as F

    with _quiet_pyspark_errors():
        try:
            return F.expr(rule.expression)
        except Exception as exc:
            if not _is_spark_error(exc):
                raise
            raise _expression_error(rule, exc) from None


def _locate_bad_rule(df: DataFrame, rules: Sequence[RowRule], conditions: Sequence[Column]) -> Exception:
    """The error of the first rule that does not analyse on its own against ``df``."""
    for rule, condition in zip(rules, conditions, strict=True):
        try:
            df.select("*", condition.alias("__lf_probe"))
        except Exception as exc:
            if _is_spark_error(exc):
                return _expression_error(rule, exc)
            raise
    return RuleExpressionError(
        rule=", ".join(r.name for r in rules), expression="…", reason="the rules do not analyse together"
    )


def _expression_error(rule: RowRule, exc: Any) -> RuleExpressionError:
    condition = str(exc.getCondition() or "")
    params = dict(exc.getMessageParameters() or {})
    kwargs: dict[str, Any] = {"rule": rule.name, "expression": rule.expression}
    if condition.startswith("UNRESOLVED_COLUMN") or condition.startswith("UNRESOLVED_FIELD"):
        proposal = params.get("proposal", "")
        suggestions = [p.strip().strip("`") for p in proposal.split(",") if p.strip()]
        return RuleExpressionError(
            **kwargs, reason="unknown column", column=_unquote(params.get("objectName", "")),
            suggestions=suggestions[:5],
        )
    if condition.startswith("UNRESOLVED_ROUTINE"):
        return RuleExpressionError(**kwargs, reason="unknown function", column=_unquote(params.get("routineName", "")))
    if condition.startswith("PARSE_") or "SYNTAX" in condition:
        near = params.get("error", "")
        return RuleExpressionError(**kwargs, reason=f"does not parse (syntax error at or near {near})")
    if "AGGREGATE" in condition or condition.startswith("MISSING_GROUP_BY") or "WINDOW" in condition:
        return RuleExpressionError(**kwargs, reason="aggregate and window functions cannot be row rules")
    message = str(exc.getMessage() if hasattr(exc, "getMessage") else exc).splitlines()[0]
    return RuleExpressionError(**kwargs, reason=f"is not a valid expression ({message})")


def _check_boolean(probe: DataFrame, rules: Sequence[RowRule]) -> None:
    from pyspark.sql.types import BooleanType, NullType

    types = {f.name: f.dataType for f in probe.schema}
    for i, rule in enumerate(rules):
        kind = types[_FLAG.format(i)]
        if not isinstance(kind, BooleanType | NullType):
            raise RuleExpressionError(
                rule=rule.name, expression=rule.expression,
                reason=f"must be a boolean condition, but evaluates to {kind.simpleString()}",
            )


def _referenced_columns(expression: str, columns: Sequence[str]) -> list[str]:
    """Source columns the expression mentions, in the source's order (for error samples)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(expression, read="spark")
    except sqlglot.errors.ParseError:
        return []
    named = {c.name.lower() for c in tree.find_all(exp.Column)}
    return [c for c in columns if c.lower() in named]


def _unquote(name: str) -> str:
    return ".".join(part.strip("`") for part in name.split("`.`")) if name else name


@contextmanager
def _quiet_pyspark_errors() -> Iterator[None]:
    """Silence PySpark's error-context loggers while we turn its analysis errors into ours."""
    loggers = [logging.getLogger(name) for name in _PYSPARK_ERROR_LOGGERS]
    before = [lg.disabled for lg in loggers]
    for lg in loggers:
        lg.disabled = True
    try:
        yield
    finally:
        for lg, was in zip(loggers, before, strict=True):
            lg.disabled = was
