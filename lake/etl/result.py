"""What one ETL run did, as a JSON-able record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lake.quality import QualityResult, RowCounts

__all__ = ["EtlRunResult", "result_json"]


def result_json(result: QualityResult) -> dict[str, Any]:
    """A ``quality.results`` row as JSON-able values."""
    row = result.to_row()
    for key, value in row.items():
        if isinstance(value, datetime):
            row[key] = value.isoformat()
    return row


@dataclass
class EtlRunResult:
    """One run of one ETL table: mode and why, what was read and written, every rule's result."""

    run_id: str
    table: str
    mode: str
    reason: str
    status: str = "succeeded"  # succeeded | failed | noop
    generation: int | None = None
    recovered: bool = False
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    files_read: list[str] = field(default_factory=list)
    counts: RowCounts | None = None
    target_version: int | None = None
    quarantine_version: int | None = None
    results: list[QualityResult] = field(default_factory=list)
    docs_uri: str | None = None
    docs_error: str | None = None
    error: str | None = None
    failed_rule: str | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def to_json(self) -> dict[str, Any]:
        counts = self.counts
        return {
            "run_id": self.run_id,
            "table": self.table,
            "status": self.status,
            "mode": self.mode,
            "reason": self.reason,
            "generation": self.generation,
            "recovered": self.recovered,
            "sources": {name: dict(r) for name, r in self.sources.items()},
            "files_read": len(self.files_read),
            "rows_read": counts.read if counts else 0,
            "rows_written": counts.written if counts else 0,
            "rows_quarantined": counts.quarantined if counts else 0,
            "duplicates": counts.duplicates if counts else 0,
            "target_version": self.target_version,
            "quarantine_version": self.quarantine_version,
            "rules": [result_json(r) for r in self.results],
            "docs_uri": self.docs_uri,
            "docs_error": self.docs_error,
            "error": self.error,
            "failed_rule": self.failed_rule,
            "seconds": round(self.seconds, 3),
        }
