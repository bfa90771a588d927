"""Decide what a run does: incremental, complete, full refresh or nothing (with the reason).

- **no-op**: no bookmarked source moved since the last run (nothing read, nothing committed);
- **incremental**: the one source's commits after the bookmark added files with
  ``dataChange=true`` — only those files are read. Commits that only rearrange files
  (OPTIMIZE: ``dataChange=false``) add nothing, so compaction never duplicates rows;
- **full refresh**: asked for, the first run, a changed definition, a source commit that
  removed files as a data change (DELETE, MERGE, overwrite: rows may be gone or rewritten, so
  appending its added files would double-count), history that is no longer readable, or a
  source whose version went back (re-created);
- **complete**: a table that is not row-wise (aggregates, windows, several sources) recomputes
  everything whenever a source moved with data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from lake.delta import DeltaTableStore, TableNotFoundError
from lake.etl.changes import ChangeSet, read_changes
from lake.etl.errors import HistoryUnavailableError, SourceMissingError
from lake.etl.spec import EtlSpec
from lake.etl.state import TargetState

__all__ = ["RunMode", "RunPlan", "current_versions", "plan_run", "replan"]


class RunMode(StrEnum):
    INCREMENTAL = "incremental"
    COMPLETE = "complete"
    FULL_REFRESH = "full_refresh"
    NOOP = "noop"


@dataclass
class RunPlan:
    """A run's mode and source version ranges ``(since, until]`` (``since = -1``: from the start)."""

    mode: RunMode
    reason: str
    since: dict[str, int] = field(default_factory=dict)
    until: dict[str, int] = field(default_factory=dict)
    changes: ChangeSet | None = None
    bookmarks_only: bool = False  # sources moved without data changes: advance the bookmarks only

    @property
    def reads_snapshots(self) -> bool:
        return self.mode in (RunMode.COMPLETE, RunMode.FULL_REFRESH)


def current_versions(store: DeltaTableStore, spec: EtlSpec) -> dict[str, int]:
    """The latest Delta version of every source (a missing source is an error naming it)."""
    out = {}
    for source in spec.sources:
        try:
            out[source.name] = int(store.snapshot(source.location).version())
        except TableNotFoundError:
            raise SourceMissingError(spec.name, source.name, store.uri(source.location)) from None
    return out


def plan_run(store: DeltaTableStore, spec: EtlSpec, state: TargetState, *, full_refresh: bool = False) -> RunPlan:
    """The plan of the next run given the target's state and the sources' current versions."""
    until = current_versions(store, spec)
    since = {name: _bookmark(state, name) for name in until}
    full = _full_refresh_reason(spec, state, since, until, requested=full_refresh)
    if full is not None:
        return RunPlan(RunMode.FULL_REFRESH, full, since, until)
    moved = [name for name in until if until[name] > since[name]]
    if not moved:
        if spec.always_recompute:
            return RunPlan(RunMode.COMPLETE, spec.always_recompute, since, until)
        at = ", ".join(f"{n} v{v}" for n, v in until.items())
        return RunPlan(RunMode.NOOP, f"no new source commits since the last run ({at})", since, until)
    return replan(store, spec, since, until, moved)


def replan(
    store: DeltaTableStore, spec: EtlSpec, since: dict[str, int], until: dict[str, int],
    moved: list[str] | None = None,
) -> RunPlan:
    """The incremental/complete plan for the ranges ``since → until`` (also used to redo an attempt)."""
    moved = moved if moved is not None else [n for n in until if until[n] > since[n]]
    ranges = ", ".join(f"{n} v{since[n] + 1}..v{until[n]}" for n in moved)
    sets: dict[str, ChangeSet] = {}
    for source in spec.sources:
        if source.name not in moved:
            continue
        try:
            changes = read_changes(store.uri(source.location), store.profile, since[source.name], until[source.name])
        except HistoryUnavailableError as exc:
            if spec.incremental_source is None:
                return RunPlan(RunMode.COMPLETE, f"{ranges} (history unreadable: recomputed)", since, until)
            return RunPlan(RunMode.FULL_REFRESH, f"{source.name}: {exc.reason}", since, until)
        rewrite = changes.rewrites[0] if changes.rewrites else None
        if rewrite is not None and spec.incremental_source is not None:
            return RunPlan(
                RunMode.FULL_REFRESH,
                f"{source.name} v{rewrite.version} ({rewrite.operation}) removed or rewrote rows", since, until,
            )
        sets[source.name] = changes
    if all(c.empty for c in sets.values()) and not spec.always_recompute:
        return RunPlan(RunMode.NOOP, f"{ranges}: no data changes (maintenance commits only); bookmarks advanced",
                       since, until, bookmarks_only=True)
    if spec.incremental_source is not None:
        changes = sets[spec.incremental_source]
        files = len(changes.added_plan().files)
        return RunPlan(RunMode.INCREMENTAL, f"{ranges}: {files} new file{'s' if files != 1 else ''}",
                       since, until, changes=changes)
    return RunPlan(RunMode.COMPLETE, f"{ranges} changed: recomputed", since, until)


def _bookmark(state: TargetState, source: str) -> int:
    value = state.bookmarks.get(source)
    return -1 if value is None else int(value)


def _full_refresh_reason(
    spec: EtlSpec, state: TargetState, since: dict[str, int], until: dict[str, int], *, requested: bool
) -> str | None:
    if requested:
        return "full refresh requested"
    if state.generation is None:
        return "first run"
    if spec.definition_id and state.definition_id != spec.definition_id:
        return "the definition changed since the last run"
    missing = [n for n in until if state.bookmarks.get(n) is None]
    if missing:
        return f"no bookmark for source {', '.join(missing)}"
    back = [n for n in until if until[n] < since[n]]
    if back:
        name = back[0]
        return f"{name} is at v{until[name]} but was processed up to v{since[name]} (re-created?)"
    if tuple(spec.partition_by) != state.partition_by:
        return f"partitioning changed from {list(state.partition_by)} to {list(spec.partition_by)}"
    return None
