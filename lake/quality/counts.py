"""The counts identity of a run: rows read = written + quarantined + duplicates removed.

Nothing is lost silently: an ETL run records its counts as a result row (``kind="row"``,
rule ``row_count_identity``) and refuses to commit when they do not add up.
"""

from __future__ import annotations

from dataclasses import dataclass

from lake.errors import InvalidOptionError
from lake.quality.errors import CountIdentityError
from lake.quality.results import QualityResult, RuleAction, RuleKind, RuleStatus

__all__ = ["COUNT_IDENTITY_RULE", "RowCounts"]

COUNT_IDENTITY_RULE = "row_count_identity"


@dataclass(frozen=True)
class RowCounts:
    """Row counts of one run into one table."""

    read: int
    written: int
    quarantined: int
    duplicates: int = 0

    def __post_init__(self) -> None:
        for name in ("read", "written", "quarantined", "duplicates"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidOptionError(f"RowCounts.{name}", value, "a row count ≥ 0")

    @property
    def unaccounted(self) -> int:
        """Rows read but neither written, quarantined nor removed as duplicates (negative: invented)."""
        return self.read - self.written - self.quarantined - self.duplicates

    @property
    def balanced(self) -> bool:
        return self.unaccounted == 0

    def verify(self, table: str, run_id: str) -> None:
        """Raise :class:`CountIdentityError` unless the identity holds."""
        if not self.balanced:
            raise CountIdentityError(
                table=table, run_id=run_id, read=self.read, written=self.written,
                quarantined=self.quarantined, duplicates=self.duplicates,
            )

    def to_result(self, run_id: str, table: str, *, seconds: float = 0.0) -> QualityResult:
        """The identity as a ``quality.results`` row (status ``failed`` when it does not hold)."""
        return QualityResult(
            run_id=run_id,
            table=table,
            rule=COUNT_IDENTITY_RULE,
            kind=RuleKind.ROW,
            action=RuleAction.FAIL,
            evaluated=self.read,
            failed=abs(self.unaccounted),
            status=RuleStatus.PASSED if self.balanced else RuleStatus.FAILED,
            seconds=seconds,
            observed={"read": self.read, "written": self.written, "quarantined": self.quarantined,
                      "duplicates": self.duplicates},
        )
