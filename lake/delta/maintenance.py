"""Table maintenance: OPTIMIZE (bin-packing compaction) and VACUUM."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lake.delta.store import DeltaTableStore

__all__ = ["OptimizeResult", "VacuumResult", "optimize", "vacuum"]


@dataclass(frozen=True)
class OptimizeResult:
    """Files compacted by one OPTIMIZE commit."""

    table: str
    version: int
    files_removed: int
    files_added: int
    partitions_optimized: int


@dataclass(frozen=True)
class VacuumResult:
    """Files VACUUM deleted (or would delete, on a dry run)."""

    table: str
    files: list[str]
    dry_run: bool


def optimize(store: DeltaTableStore, table: str, *, target_size_mb: int = 128) -> OptimizeResult:
    """Bin-pack small files into files of about ``target_size_mb`` in one commit (data unchanged)."""
    dt = store.snapshot(table)
    metrics = dt.optimize.compact(target_size=target_size_mb * 1024 * 1024)
    dt.update_incremental()
    return OptimizeResult(
        store.uri(table), dt.version(),
        files_removed=int(metrics.get("numFilesRemoved", 0)),
        files_added=int(metrics.get("numFilesAdded", 0)),
        partitions_optimized=int(metrics.get("partitionsOptimized", 0)),
    )


def vacuum(
    store: DeltaTableStore, table: str, *, retain_hours: float = 168, dry_run: bool = False
) -> VacuumResult:
    """Delete files not referenced by the table (removed ones and orphans of failed writers)
    whose age exceeds ``retain_hours``."""
    dt = store.snapshot(table)
    files = dt.vacuum(
        retention_hours=int(retain_hours), dry_run=dry_run, enforce_retention_duration=False,
        full=True,
    )
    return VacuumResult(store.uri(table), sorted(files), dry_run)
