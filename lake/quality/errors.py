"""Errors of the data-quality library: one base, narrow subclasses with fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lake.errors import LakeforgeError

__all__ = [
    "CountIdentityError",
    "DataDocsError",
    "DqdlSyntaxError",
    "ExpectationRunError",
    "InvalidExpectationError",
    "QualityError",
    "QualityGateError",
    "QuarantineFrameError",
    "RuleDefinitionError",
    "RuleExpressionError",
    "SuiteFormatError",
    "UnknownExpectationError",
    "UnsupportedDqdlRuleError",
]


def _listed(values: Any, limit: int = 12) -> str:
    items = [values] if isinstance(values, str) else list(values or ())
    shown = ", ".join(str(v) for v in items[:limit])
    return shown + (f", … ({len(items)} in all)" if len(items) > limit else "")


class QualityError(LakeforgeError):
    """Base of every error raised by ``lake.quality``."""


class QualityGateError(QualityError):
    """A rule with action ``fail`` was violated: the run must stop and commit nothing.

    ``results`` holds every rule's result of the run so far, so the caller can record them.
    """

    template = (
        "quality gate failed{on_table}: {kind} rule {rule!r} {what}; sample: {shown_sample}"
        " — fix the source data, or {remedy}"
    )
    table: str | None
    rule: str
    kind: str
    failed: int | None
    sample: Sequence[str]
    results: Sequence[Any] = ()

    @property
    def on_table(self) -> str:
        return f" on {self.table}" if self.table else ""

    @property
    def what(self) -> str:
        if self.failed is None:
            return "was not met"
        return f"failed on {self.failed} row{'s' if self.failed != 1 else ''}"

    @property
    def shown_sample(self) -> str:
        return _listed(self.sample, 5) or "-"

    @property
    def remedy(self) -> str:
        if self.kind == "row":
            return "relax the constraint (drop the row or only warn instead of ON VIOLATION FAIL UPDATE)"
        return "set the expectation's meta.action to warn"


class RuleDefinitionError(QualityError):
    """A row rule is malformed (empty name, unknown action, duplicate name)."""

    template = "row rule {rule!r}: {reason}"
    rule: str
    reason: str


class RuleExpressionError(QualityError):
    """A row rule's expression does not parse, names an unknown column, or is not boolean."""

    template = "row rule {rule!r}: {reason}{column_text} in ({expression}){hint}"
    rule: str
    expression: str
    reason: str
    column: str | None = None
    suggestions: Sequence[str] = ()

    @property
    def column_text(self) -> str:
        return f" {self.column!r}" if self.column else ""

    @property
    def hint(self) -> str:
        return f"; did you mean {_listed(self.suggestions, 5)}?" if self.suggestions else ""


class SuiteFormatError(QualityError):
    """A suite file (JSON or YAML) is unreadable or not in the accepted shape."""

    template = "{source}: {reason}"
    source: str
    reason: str


class UnknownExpectationError(SuiteFormatError):
    """An expectation type that Great Expectations does not have."""

    template = "{source}: {expectation!r} is not a Great Expectations expectation{hint}"
    expectation: str
    suggestions: Sequence[str] = ()
    reason: str = "unknown expectation type"

    @property
    def hint(self) -> str:
        if self.suggestions:
            return f"; close matches: {_listed(self.suggestions, 5)}"
        return " (see great_expectations.expectations for the list)"


class InvalidExpectationError(SuiteFormatError):
    """An expectation's arguments are rejected by Great Expectations."""

    template = "{source}: {expectation} rejects its arguments: {reason}"
    expectation: str


class ExpectationRunError(QualityError):
    """Great Expectations raised while evaluating an expectation (e.g. a missing column)."""

    template = "{table_text}table rule {rule!r} ({expectation}) could not be evaluated: {reason}"
    table: str | None
    rule: str
    expectation: str
    reason: str

    @property
    def table_text(self) -> str:
        return f"{self.table}: " if self.table else ""


class DqdlSyntaxError(QualityError):
    """DQDL text that does not parse; ``line``/``column`` point at the offending token."""

    template = "{source}: DQDL syntax error at line {line}, column {column}: {reason}"
    source: str
    line: int
    column: int
    reason: str


class UnsupportedDqdlRuleError(QualityError):
    """A DQDL rule type (or form of a rule) that lakeforge does not translate."""

    template = "{source}: line {line}: {reason} in rule {rule!r}; supported rule types: {shown_supported}"
    source: str
    line: int
    rule: str
    reason: str
    supported: Sequence[str] = ()

    @property
    def shown_supported(self) -> str:
        return _listed(self.supported, 40)


class DataDocsError(QualityError):
    """Great Expectations could not build Data Docs, or the site could not be uploaded."""

    template = "data docs for {table} (run {run_id}): {reason}"
    table: str
    run_id: str
    reason: str


class QuarantineFrameError(QualityError):
    """Rows handed to the quarantine helper do not have the expected shape."""

    template = "quarantine rows: {reason}"
    reason: str


class CountIdentityError(QualityError):
    """Rows read ≠ rows written + quarantined + duplicates removed: rows were lost or invented."""

    template = (
        "{table}: rows do not add up (run {run_id}): read {read} ≠ written {written}"
        " + quarantined {quarantined} + duplicates removed {duplicates}"
    )
    table: str
    run_id: str
    read: int
    written: int
    quarantined: int
    duplicates: int
