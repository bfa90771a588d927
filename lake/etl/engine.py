"""Run an ETL table once: plan, read, gate, write — exactly once across a kill at any point.

A run with generation ``g`` (one more than any generation the target, its quarantine table or
the results table has seen):

1. records its intent (:mod:`lake.etl.attempts`): run id, ``g``, mode and source ranges;
2. reads the rows to process (the new files, or the snapshots at the recorded versions) and
   builds the batch; evaluates row rules in one pass (warn / drop / fail), deduplicates by
   KEY, runs the GX suites on what would be written; any ``fail`` → the results are recorded
   (without a transaction: a failed run is never skipped), nothing else is written, and
   :class:`~lake.quality.QualityGateError` names the rule and a sample;
3. builds Data Docs for the run (best effort: a docs failure is reported, not fatal);
4. appends the dropped rows to ``<target>__quarantine`` (transaction ``etl:<t>:quarantine`` = g;
   replaced instead by full refreshes and complete runs);
5. writes the target's files; before the commit, checks rows read = written + quarantined +
   duplicates on the files about to be committed and appends every result to
   ``quality.results`` (transaction ``etl:<t>:results`` = g);
6. commits the target once: data, the generation and one bookmark per source, atomically
   (an insert-only MERGE by KEY, an append, or an overwrite);
7. forgets the intent.

A kill anywhere before 6 leaves the bookmarks where they were; the rerun finds the intent,
processes exactly the same source ranges under the same run id and generation, its quarantine
and results appends are no-ops by transaction, and the target is committed once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lake.delta import DeltaTableStore, purge_table
from lake.etl.attempts import Attempt, AttemptLog
from lake.etl.dedup import dedup_by_key
from lake.etl.faults import crash_point
from lake.etl.planner import RunMode, RunPlan, current_versions, plan_run, replan
from lake.etl.result import EtlRunResult
from lake.etl.results_table import ResultsTable
from lake.etl.spec import EtlSpec
from lake.etl.state import (
    COMMIT_DEFINITION,
    COMMIT_GENERATION,
    COMMIT_MODE,
    COMMIT_RUN_ID,
    TargetState,
    bookmark_app_id,
    generation_app_id,
    read_target_state,
    sink_app_id,
    txn_version,
)
from lake.quality import (
    CountIdentityError,
    DataDocsError,
    QualityGateError,
    QualityResult,
    RowCounts,
    RowRuleOutcome,
    TableRuleOutcome,
    apply_row_rules,
    new_run_id,
    publish_data_docs,
    quarantine_frame,
    run_table_rules,
)
from lake.storage import StorageProfile

if TYPE_CHECKING:
    from deltalake.transaction import AddAction
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["run_etl"]


def run_etl(
    spark: SparkSession,
    profile: StorageProfile,
    spec: EtlSpec,
    *,
    full_refresh: bool = False,
    store: DeltaTableStore | None = None,
    publish_docs: bool = True,
    raise_on_fail: bool = True,
) -> EtlRunResult:
    """Run ``spec`` once (see the module docstring); ``full_refresh`` rebuilds from the snapshots.

    A violated ``fail`` rule raises :class:`~lake.quality.QualityGateError` after recording the
    run's results, or with ``raise_on_fail=False`` returns a result with ``status="failed"``.
    An interrupted earlier run is always finished first; a requested full refresh follows it.
    """
    run = _Run(spark, profile, spec, store or DeltaTableStore(spark, profile), publish_docs)
    result = run.execute(full_refresh=full_refresh, raise_on_fail=raise_on_fail)
    if result.recovered and full_refresh and result.mode != RunMode.FULL_REFRESH and not result.failed:
        result = run.execute(full_refresh=True, raise_on_fail=raise_on_fail)
    return result


@dataclass
class _Gate:
    """What the gates decided and the counts the write is checked against."""

    outcome: RowRuleOutcome
    tables: list[TableRuleOutcome]
    kept: int
    final: int
    quarantined: int = 0


class _Run:
    def __init__(
        self, spark: SparkSession, profile: StorageProfile, spec: EtlSpec, store: DeltaTableStore, docs: bool
    ) -> None:
        self.spark = spark
        self.profile = profile
        self.spec = spec
        self.store = store
        self.docs = docs
        self.attempts = AttemptLog(profile, spec.name)
        self.results_table = ResultsTable(profile, spec.results_location)
        self.quarantine = spec.quarantine_uri_hint

    # ------------------------------------------------------------------ run
    def execute(self, *, full_refresh: bool, raise_on_fail: bool) -> EtlRunResult:
        started = time.perf_counter()
        state = read_target_state(self.store, self.spec)
        resumed = self._resume(state)
        recovered = resumed is not None
        if resumed is None:
            plan = plan_run(self.store, self.spec, state, full_refresh=full_refresh)
            if plan.mode is RunMode.NOOP and not plan.bookmarks_only:
                result = self._result(new_run_id(), plan, state.generation, status="noop")
                result.target_version = state.version
                result.seconds = time.perf_counter() - started
                return result
            attempt = Attempt(
                run_id=new_run_id(), generation=self._next_generation(state), mode=str(plan.mode),
                reason=plan.reason, definition_id=self.spec.definition_id, since=plan.since, until=plan.until,
                started_at=datetime.now(UTC).isoformat(),
            )
        else:
            attempt, plan = resumed
        result = self._result(attempt.run_id, plan, attempt.generation, status="succeeded")
        result.recovered = recovered
        try:
            if plan.bookmarks_only:
                self._advance_bookmarks(attempt, state, result)
            else:
                self.attempts.save(attempt)
                crash_point("pinned", self.spec.name)
                self._process(attempt, plan, state, result)
        except QualityGateError as exc:
            result.status, result.error, result.failed_rule = "failed", str(exc), exc.rule
            if raise_on_fail:
                raise
        finally:
            result.seconds = time.perf_counter() - started
        return result

    def _result(self, run_id: str, plan: RunPlan, generation: int | None, *, status: str) -> EtlRunResult:
        sources = {name: {"from": plan.since.get(name, -1), "to": version} for name, version in plan.until.items()}
        return EtlRunResult(run_id=run_id, table=self.spec.name, mode=str(plan.mode), reason=plan.reason,
                            status=status, generation=generation, sources=sources)

    def _next_generation(self, state: TargetState) -> int:
        seen = [state.generation or 0,
                self.results_table.txn_version(sink_app_id(self.spec.name, "results")) or 0,
                txn_version(self.profile, self.quarantine, sink_app_id(self.spec.name, "quarantine")) or 0]
        return max(seen) + 1

    def _resume(self, state: TargetState) -> tuple[Attempt, RunPlan] | None:
        """The interrupted attempt to finish (stale or unusable ones are forgotten)."""
        found = None
        for attempt in self.attempts.pending():
            committed = state.generation is not None and attempt.generation <= state.generation
            usable = (found is None and not committed and attempt.definition_id == self.spec.definition_id
                      and all(attempt.since.get(n, -1) == (v if v is not None else -1)
                              for n, v in state.bookmarks.items()))
            if not usable:
                self.attempts.discard(attempt)
                continue
            found = attempt
        if found is None:
            return None
        mode = RunMode(found.mode)
        current = current_versions(self.store, self.spec)
        if any(current.get(n, -1) < v for n, v in found.until.items()):
            self.attempts.discard(found)  # a source went back: the attempt cannot be redone
            return None
        if mode is RunMode.INCREMENTAL:
            plan = replan(self.store, self.spec, found.since, found.until)
            if plan.mode is not RunMode.INCREMENTAL:
                self.attempts.discard(found)
                return None
            plan.reason = found.reason
        else:
            plan = RunPlan(mode, found.reason, dict(found.since), dict(found.until))
        return found, plan

    # ----------------------------------------------------------- processing
    def _inputs(self, plan: RunPlan) -> tuple[dict[str, DataFrame], list[str]]:
        if plan.mode is RunMode.INCREMENTAL:
            assert plan.changes is not None and self.spec.incremental_source is not None
            source = self.spec.sources[0]
            files = plan.changes.added_plan()
            return {source.name: self.store.read_plan(source.location, files)}, list(files.files)
        frames, read = {}, []
        for source in self.spec.sources:
            version = plan.until[source.name]
            frames[source.name] = self.store.read(source.location, version=version)
            read += self.store.plan_scan(source.location, version=version).files
        return frames, read

    def _process(self, attempt: Attempt, plan: RunPlan, state: TargetState, result: EtlRunResult) -> None:
        from pyspark import StorageLevel

        spec = self.spec
        frames, result.files_read = self._inputs(plan)
        batch = spec.build(frames)
        outcome = apply_row_rules(batch, spec.rules(), table=spec.name, run_id=attempt.run_id, persist=False,
                                  raise_on_fail=False)
        final: DataFrame | None = None
        try:
            final = dedup_by_key(outcome.kept, spec.key) if spec.key else outcome.kept
            if spec.key or spec.suites:
                final = final.persist(StorageLevel.MEMORY_AND_DISK)
            gate = _Gate(outcome, [], kept=outcome.kept_count,
                         final=final.count() if spec.key else outcome.kept_count)
            failure = _failure(outcome.raise_for_failures)
            if failure is None:
                for suite in spec.suites:
                    gate.tables.append(run_table_rules(final, suite, table=spec.name, run_id=attempt.run_id,
                                                       raise_on_fail=False))
                failure = next((f for t in gate.tables if (f := _failure(t.raise_for_failures))), None)
            results = [*outcome.results, *[r for t in gate.tables for r in t.results]]
            result.results = results
            self._publish_docs(attempt, gate, result)
            if failure is not None:
                self.results_table.append(results)  # no transaction: a failed run is always recorded
                self.attempts.discard(attempt)
                raise failure
            self._write_quarantine(attempt, plan, gate, result)
            crash_point("quarantine", spec.name)
            self._write_target(final, attempt, plan, state, gate, result)
            crash_point("committed", spec.name)
            self.attempts.discard(attempt)
        finally:
            if final is not None and (spec.key or spec.suites):
                final.unpersist()
            outcome.unpersist()

    def _publish_docs(self, attempt: Attempt, gate: _Gate, result: EtlRunResult) -> None:
        outcomes: list[Any] = [*([gate.outcome] if gate.outcome.rules else []), *gate.tables]
        if not self.docs or not outcomes:
            return
        try:
            site = publish_data_docs(outcomes, self.profile, table=self.spec.name, run_id=attempt.run_id)
        except DataDocsError as exc:
            result.docs_error = str(exc)
            return
        result.docs_uri = site.index_uri

    def _write_quarantine(self, attempt: Attempt, plan: RunPlan, gate: _Gate, result: EtlRunResult) -> None:
        """Dropped rows → the quarantine table (replaced by runs that recompute everything)."""
        replace = plan.reads_snapshots
        if gate.outcome.dropped == 0 and not (replace and self.store.exists(self.quarantine)):
            return
        rows = quarantine_frame(gate.outcome.quarantine, run_id=attempt.run_id, source_versions=attempt.until)
        written = self.store.write(
            rows, self.quarantine, mode="overwrite" if replace else "append",
            schema_mode="overwrite" if replace else "merge",
            app_transactions=[(sink_app_id(self.spec.name, "quarantine"), attempt.generation)],
            commit_metadata={COMMIT_RUN_ID: attempt.run_id, COMMIT_GENERATION: str(attempt.generation)},
        )
        if written.committed:
            gate.quarantined = written.rows
        else:  # written by the interrupted attempt this run finishes
            from pyspark.sql import functions as F

            gate.quarantined = self.store.read(self.quarantine).where(F.col("_run_id") == attempt.run_id).count()
        result.quarantine_version = written.version

    def _write_target(
        self, final: DataFrame, attempt: Attempt, plan: RunPlan, state: TargetState, gate: _Gate,
        result: EtlRunResult,
    ) -> None:
        spec = self.spec
        merging = bool(spec.key) and plan.mode is RunMode.INCREMENTAL
        store = self._target_store(lambda _uri, adds: self._before_commit(adds, attempt, gate, result, merging))
        txns = self._transactions(attempt)
        meta = self._commit_metadata(attempt)
        if plan.reads_snapshots:
            purged = False
            if state.exists and state.partition_by != tuple(spec.partition_by):
                purge_table(self.profile, self.store.uri(spec.location))  # new partitioning: a new table
                purged = True
            written = store.write(final, spec.location, mode="overwrite", partition_by=list(spec.partition_by),
                                  schema_mode="overwrite", app_transactions=txns, commit_metadata=meta,
                                  allow_non_empty=purged)
            result.target_version = written.version
        elif merging:
            merged = store.merge(final, spec.location, spec.key, when_matched=None, app_transactions=txns,
                                 commit_metadata=meta)
            result.target_version = merged.version
        else:
            written = store.write(final, spec.location, mode="append", partition_by=list(spec.partition_by),
                                  schema_mode="merge", app_transactions=txns, commit_metadata=meta)
            result.target_version = written.version

    def _before_commit(
        self, adds: list[AddAction], attempt: Attempt, gate: _Gate, result: EtlRunResult, merging: bool
    ) -> None:
        """Check the counts on the files about to be committed, then record the run's results."""
        written = sum(_records(a) for a in adds)
        duplicates = gate.kept - gate.final + (gate.final - written if merging else 0)
        counts = RowCounts(read=gate.outcome.evaluated, written=written, quarantined=gate.quarantined,
                           duplicates=max(duplicates, 0))
        results: list[QualityResult] = [*result.results, counts.to_result(attempt.run_id, self.spec.name)]
        result.counts, result.results = counts, results
        if not counts.balanced or duplicates < 0:
            self.results_table.append(results)
            raise CountIdentityError(table=self.spec.name, run_id=attempt.run_id, read=counts.read,
                                     written=written, quarantined=gate.quarantined, duplicates=duplicates)
        self.results_table.append(results, app_id=sink_app_id(self.spec.name, "results"),
                                  version=attempt.generation, metadata={COMMIT_RUN_ID: attempt.run_id})
        crash_point("results", self.spec.name)

    def _advance_bookmarks(self, attempt: Attempt, state: TargetState, result: EtlRunResult) -> None:
        """Sources moved without data changes: commit only the new bookmarks (no rows, no results)."""
        empty = self.store.read(self.spec.location).limit(0)
        written = self.store.write(empty, self.spec.location, mode="append",
                                   app_transactions=self._transactions(attempt),
                                   commit_metadata=self._commit_metadata(attempt))
        result.target_version = written.version
        result.counts = RowCounts(0, 0, 0, 0)

    # -------------------------------------------------------------- helpers
    def _target_store(self, hook: Any) -> DeltaTableStore:
        return DeltaTableStore(self.spark, self.profile, max_rows_per_file=self.store.max_rows_per_file,
                               before_commit=hook)

    def _transactions(self, attempt: Attempt) -> list[tuple[str, int]]:
        name = self.spec.name
        return [(generation_app_id(name), attempt.generation),
                *[(bookmark_app_id(name, source), version) for source, version in attempt.until.items()]]

    def _commit_metadata(self, attempt: Attempt) -> dict[str, str]:
        return {COMMIT_GENERATION: str(attempt.generation), COMMIT_DEFINITION: self.spec.definition_id,
                COMMIT_RUN_ID: attempt.run_id, COMMIT_MODE: attempt.mode}


def _failure(check: Any) -> QualityGateError | None:
    try:
        check()
    except QualityGateError as exc:
        return exc
    return None


def _records(add: AddAction) -> int:
    import json

    stats = json.loads(add.stats) if isinstance(add.stats, str) and add.stats else {}
    return int(stats.get("numRecords", 0))
