"""Run table rules with Great Expectations 1.x on a Spark DataFrame, in an ephemeral context.

One :class:`GxRunner` per process (:func:`default_runner`) holds one ephemeral context with one
Spark data source, one dataframe asset and one whole-dataframe batch definition; each
:meth:`GxRunner.validate` adds the suite and a ``ValidationDefinition``, runs it with
``batch_parameters={"dataframe": df}`` and removes them (and the stored result) again, so the
context does not grow. The ephemeral context keeps its stores in memory: nothing is written to
the working directory. GX's progress bars are off and its logging and warnings are held back
while it runs. Measured here on ``local[2]``: the first validation in a process ≈ 4 to 7 s (GX
imports and metric registration), later ones ≈ 1.5 to 2 s for a handful of expectations —
:attr:`GxRunner.timings` keeps each run's seconds.

GX's Spark engine persists the batch DataFrame so its metric jobs share one materialisation,
and never unpersists it; the runner unpersists it after the run. A DataFrame the caller has
persisted goes through a second data source with ``persist=False``, so its cache is neither
duplicated nor dropped.

GX evaluates a suite in one graph of metrics, so per-expectation time is not measurable:
each result's ``seconds`` is the suite's wall time shared evenly (``details.suite_seconds``
holds the whole), like row rules share their pass.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lake.quality.errors import ExpectationRunError, QualityGateError
from lake.quality.results import QualityResult, RuleAction, RuleKind, RuleStatus, new_run_id, status_for
from lake.quality.rules import SAMPLE_ROWS
from lake.quality.suites import TableRule, TableSuite

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["GxRunner", "TableRuleOutcome", "default_runner", "quiet_gx", "run_table_rules"]

_DATASOURCE = "lakeforge_spark"  # persist=True (GX's default); "<name>_cached" has persist=False
_ASSET = "dataframe"
_BATCH = "whole_dataframe"
_ROW_COUNT_TYPES = ("expect_table_row_count_to_be_between", "expect_table_row_count_to_equal")


@dataclass
class TableRuleOutcome:
    """Per-expectation results of one suite on one DataFrame, and GX's own result object."""

    table: str | None
    run_id: str
    suite: TableSuite
    results: tuple[QualityResult, ...]
    seconds: float
    validation: Any = field(repr=False)  # great_expectations ExpectationSuiteValidationResult
    result_key: Any = field(default=None, repr=False)  # its ValidationResultIdentifier (for Data Docs)

    @property
    def success(self) -> bool:
        """True when every expectation was met (GX's notion of a successful validation)."""
        return not self.violated()

    def violated(self, action: RuleAction | None = None) -> list[QualityResult]:
        """Results whose expectation was not met (optionally only those with ``action``)."""
        return [r for r in self.results if r.status in (RuleStatus.WARNED, RuleStatus.FAILED)
                and (action is None or r.action is action)]

    def raise_for_failures(self) -> None:
        """Raise :class:`QualityGateError` for the first unmet ``fail`` expectation."""
        failing = self.violated(RuleAction.FAIL)
        if not failing:
            return
        first = failing[0]
        raise QualityGateError(
            table=self.table,
            rule=first.rule,
            kind=str(RuleKind.TABLE),
            failed=first.failed,
            sample=list(first.details.get("sample") or [f"observed {first.details.get('observed_text')}"]),
            results=self.results,
        )


class GxRunner:
    """An ephemeral GX context with a Spark data source, reused for every validation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._context: Any = None
        self._batch_definitions: dict[bool, Any] = {}  # keyed by "input already cached"
        self.timings: list[float] = []

    def validate(
        self,
        df: DataFrame,
        suite: TableSuite,
        *,
        table: str | None = None,
        run_id: str | None = None,
        raise_on_fail: bool = True,
    ) -> TableRuleOutcome:
        """Run ``suite`` on ``df`` with GX; raise on an unmet ``fail`` rule unless told not to.

        An expectation GX cannot evaluate (a missing column, a wrong type) raises
        :class:`ExpectationRunError` whatever its action: the rule is broken, not the data.
        """
        run_id = run_id or new_run_id()
        level = df.storageLevel
        cached_before = level.useMemory or level.useDisk or level.useOffHeap
        try:
            with self._lock, quiet_gx():
                validation, seconds, ids, key = self._run(df, suite, run_id, cached=cached_before)
        finally:
            if not cached_before:
                df.unpersist()
        self.timings.append(seconds)
        outcome = TableRuleOutcome(
            table=table, run_id=run_id, suite=suite, seconds=seconds, validation=validation, result_key=key,
            results=tuple(_results(validation, suite, ids, table, run_id, seconds)),
        )
        if raise_on_fail:
            outcome.raise_for_failures()
        return outcome

    def _ensure(self) -> Any:
        if self._context is None:
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            for cached, name in ((False, _DATASOURCE), (True, f"{_DATASOURCE}_cached")):
                asset = context.data_sources.add_spark(name=name, persist=not cached).add_dataframe_asset(name=_ASSET)
                self._batch_definitions[cached] = asset.add_batch_definition_whole_dataframe(_BATCH)
            self._context = context
        return self._context

    def _run(
        self, df: DataFrame, suite: TableSuite, run_id: str, *, cached: bool
    ) -> tuple[Any, float, dict[str, TableRule], Any]:
        import great_expectations as gx
        from great_expectations.core.run_identifier import RunIdentifier

        context = self._ensure()
        name = suite.name
        _forget(context, name)
        gx_suite = context.suites.add(suite.to_gx_suite())
        ids = {str(exp.id): rule for exp, rule in zip(gx_suite.expectations, suite.rules, strict=True)}
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=self._batch_definitions[cached], suite=gx_suite)
        )
        try:
            start = time.perf_counter()
            validation = definition.run(
                batch_parameters={"dataframe": df},
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS},
                run_id=RunIdentifier(run_name=run_id, run_time=datetime.now(UTC)),
            )
            seconds = time.perf_counter() - start
        finally:
            keys = _forget(context, name, run_id)
        return validation, seconds, ids, keys[0] if keys else None


_default: GxRunner | None = None
_default_lock = threading.Lock()


def default_runner() -> GxRunner:
    """The process's one :class:`GxRunner` (created on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = GxRunner()
        return _default


def run_table_rules(
    df: DataFrame,
    suite: TableSuite,
    *,
    table: str | None = None,
    run_id: str | None = None,
    raise_on_fail: bool = True,
) -> TableRuleOutcome:
    """Validate ``df`` against ``suite`` with the process's shared :class:`GxRunner`."""
    return default_runner().validate(df, suite, table=table, run_id=run_id, raise_on_fail=raise_on_fail)


def _forget(context: Any, name: str, run_id: str | None = None) -> list[Any]:
    """Remove the validation definition, the suite and (with ``run_id``) the stored results.

    Returns the keys of the results removed."""
    from great_expectations.exceptions import DataContextError

    for factory in (context.validation_definitions, context.suites):
        with suppress(DataContextError, KeyError, ValueError):
            factory.delete(name)
    removed: list[Any] = []
    if run_id is not None:
        store = context.validation_results_store
        for key in store.list_keys():
            if getattr(getattr(key, "run_id", None), "run_name", None) == run_id:
                store.remove_key(key)
                removed.append(key)
    return removed


def _results(
    validation: Any, suite: TableSuite, ids: Mapping[str, TableRule], table: str | None, run_id: str,
    seconds: float,
) -> Iterator[QualityResult]:
    rows = _row_count(validation)
    share = seconds / max(len(validation.results), 1)
    for res in validation.results:
        config = res.expectation_config
        rule = ids.get(str(config.id)) or _by_meta(suite, config)
        error = _raised(res.exception_info)
        if error:
            raise ExpectationRunError(table=table, rule=rule.name, expectation=rule.type, reason=error)
        result = dict(res.result or {})
        failed = result.get("unexpected_count")
        observed = result.get("observed_value")
        details: dict[str, Any] = {"expectation": rule.type, "kwargs": dict(rule.kwargs),
                                   "suite": suite.name, "suite_seconds": round(seconds, 6)}
        if "partial_unexpected_list" in result:
            details["sample"] = [_short(v) for v in result["partial_unexpected_list"][:SAMPLE_ROWS]]
            details["unexpected_percent"] = result.get("unexpected_percent")
        if observed is not None:
            details["observed_text"] = _short(observed, 200)
        yield QualityResult(
            run_id=run_id,
            table=table or "",
            rule=rule.name,
            kind=RuleKind.TABLE,
            action=rule.action,
            evaluated=int(result["element_count"]) if "element_count" in result else rows,
            failed=int(failed) if failed is not None else None,
            status=status_for(rule.action, not res.success),
            seconds=share,
            observed=observed,
            details=details,
        )


def _row_count(validation: Any) -> int | None:
    """The batch's row count if any expectation reported it (element_count or a row-count check)."""
    for res in validation.results:
        result = res.result or {}
        if "element_count" in result:
            return int(result["element_count"])
        if res.expectation_config.type in _ROW_COUNT_TYPES and result.get("observed_value") is not None:
            return int(result["observed_value"])
    return None


def _by_meta(suite: TableSuite, config: Any) -> TableRule:
    name = (config.meta or {}).get("name")
    for rule in suite.rules:
        if rule.name == name:
            return rule
    raise KeyError(f"GX returned a result for an expectation not in suite {suite.name!r}: {config.type}")


def _raised(info: Any) -> str | None:
    """GX's exception message when evaluating the expectation raised, else None."""
    if not isinstance(info, Mapping):
        return None
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, Mapping)]
    for entry in entries:
        if entry.get("raised_exception"):
            message = str(entry.get("exception_message") or "GX raised an exception")
            return message.strip().splitlines()[-1][:500]
    return None


def _short(value: Any, width: int = 60) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


@contextmanager
def quiet_gx() -> Iterator[None]:
    """Hold GX's log records below ERROR and its warnings while it runs."""
    logger = logging.getLogger("great_expectations")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"great_expectations(\..*)?")
            yield
    finally:
        logger.setLevel(level)
