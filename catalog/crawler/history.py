"""Crawl history: one record per run with its metrics, kept in the catalog store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from catalog.stores.base import CatalogStore

__all__ = ["CrawlHistory", "CrawlMetrics", "CrawlRun"]


@dataclass
class CrawlMetrics:
    """What one run did."""

    objects_listed: int = 0
    objects_sampled: int = 0
    list_requests: int = 0
    read_requests: int = 0
    bytes_read: int = 0
    tables_found: int = 0
    tables_created: int = 0
    tables_updated: int = 0
    tables_deprecated: int = 0
    tables_deleted: int = 0
    partitions_added: int = 0
    partitions_updated: int = 0
    partitions_deleted: int = 0
    unknown_folders: int = 0
    duration_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CrawlMetrics:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class CrawlRun:
    """One recorded run: ``status`` is ``SUCCEEDED`` or ``FAILED`` (with ``error``)."""

    run_id: str
    crawler: str
    started_at: str
    finished_at: str
    status: str
    metrics: CrawlMetrics = field(default_factory=CrawlMetrics)
    error: str | None = None
    tables: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["metrics"] = self.metrics.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CrawlRun:
        return cls(
            run_id=str(data.get("run_id", "")),
            crawler=str(data.get("crawler", "")),
            started_at=str(data.get("started_at", "")),
            finished_at=str(data.get("finished_at", "")),
            status=str(data.get("status", "")),
            metrics=CrawlMetrics.from_dict(data.get("metrics", {})),
            error=data.get("error"),
            tables=list(data.get("tables", [])),
        )


class CrawlHistory:
    """The crawl-history collection of a catalog store."""

    def __init__(self, store: CatalogStore):
        self.store = store

    def record(self, run: CrawlRun) -> None:
        self.store.append_crawl_run(run.crawler, run.to_dict())

    def list(self, crawler: str, *, limit: int | None = None) -> list[CrawlRun]:
        """Runs of ``crawler``, newest first."""
        runs = [CrawlRun.from_dict(r) for r in self.store.list_crawl_runs(crawler, limit=limit)]
        return list(reversed(runs))
