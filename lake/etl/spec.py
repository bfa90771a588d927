"""What an ETL table is, catalog-free: a target, its Delta sources, a batch builder, rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lake.etl.errors import EtlSpecError
from lake.quality import QUARANTINE_SUFFIX, RowRule, RuleAction, TableSuite

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["KEY_RULE", "RESULTS_LOCATION", "BuildBatch", "EtlSpec", "SourceSpec"]

RESULTS_LOCATION = "_quality/results"
KEY_RULE = "key_is_not_null"

BuildBatch = Callable[["Mapping[str, DataFrame]"], "DataFrame"]
"""Source name → DataFrame of the rows to process (new rows, or a whole snapshot) → the batch."""


@dataclass(frozen=True)
class SourceSpec:
    """A Delta source: its name (``bronze.heart``, used in bookmarks) and location."""

    name: str
    location: str


@dataclass(frozen=True)
class EtlSpec:
    """One ETL table.

    ``build`` turns the source frames into the batch (the SELECT). With ``incremental_source``
    (one of ``sources``) runs read only that source's new files; otherwise every run with a
    moved source recomputes everything (complete mode). ``always_recompute`` (a reason) makes a
    complete table recompute even when no bookmarked source moved (it reads views or raw tables).
    ``definition_id`` identifies the definition: a different one forces a full refresh.
    """

    name: str
    location: str
    build: BuildBatch
    sources: tuple[SourceSpec, ...] = ()
    incremental_source: str | None = None
    key: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    row_rules: tuple[RowRule, ...] = ()
    suites: tuple[TableSuite, ...] = ()
    definition_id: str = ""
    always_recompute: str | None = None
    quarantine_location: str | None = None
    results_location: str = RESULTS_LOCATION

    def __post_init__(self) -> None:
        if not self.name or ":" in self.name or "/" in self.name:
            raise EtlSpecError(self.name, "the name must be non-empty without ':' or '/' (e.g. silver.visits)")
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise EtlSpecError(self.name, f"a source appears twice in {names}")
        if any(not n or ":" in n for n in names):
            raise EtlSpecError(self.name, f"source names must be non-empty without ':' ({names})")
        if self.incremental_source is not None and self.incremental_source not in names:
            raise EtlSpecError(self.name, f"the incremental source {self.incremental_source!r} is not among {names}")
        if self.incremental_source is not None and len(names) != 1:
            raise EtlSpecError(self.name, f"an incremental table reads exactly one Delta source, not {names}")
        if not names and self.always_recompute is None:
            raise EtlSpecError(self.name, "no Delta source to bookmark: give sources or always_recompute")
        if len(set(self.key)) != len(self.key):
            raise EtlSpecError(self.name, f"KEY names a column twice: {list(self.key)}")

    @property
    def quarantine_uri_hint(self) -> str:
        """The quarantine table's location: given, else beside the target (``…__quarantine``)."""
        return self.quarantine_location or self.location.rstrip("/") + QUARANTINE_SUFFIX

    def rules(self) -> tuple[RowRule, ...]:
        """The row rules, plus ``key_is_not_null`` (drop) when the table has a KEY."""
        if not self.key:
            return self.row_rules
        expression = " AND ".join(f"`{c}` IS NOT NULL" for c in self.key)
        return (*self.row_rules, RowRule(KEY_RULE, expression, RuleAction.DROP))
