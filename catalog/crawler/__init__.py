"""A Glue-style crawler: classify files, infer and widen schemas, group folders into tables.

Quick use::

    from catalog.crawler import Crawler, CrawlerDefinition, CrawlerRepository
    definition = CrawlerDefinition.create("raw-events", "raw", ["s3://lake/raw/events"],
                                          exclusions=["**/_tmp/**"])
    CrawlerRepository(store).put(definition)
    result = Crawler(store, profile).run(definition, dry_run=True, explain=True)
    print(result.explain.render())

Each rule lives in a module named for it: :mod:`~catalog.crawler.listing`,
:mod:`~catalog.crawler.skip_rules`, :mod:`~catalog.crawler.exclusions`,
:mod:`~catalog.crawler.classifiers`, :mod:`~catalog.crawler.inference`,
:mod:`~catalog.crawler.widening`, :mod:`~catalog.crawler.grouping`,
:mod:`~catalog.crawler.partitions`, :mod:`~catalog.crawler.tables`,
:mod:`~catalog.crawler.policies`, :mod:`~catalog.crawler.history`.
"""

from __future__ import annotations

from catalog.crawler.definitions import (
    DEFAULT_SAMPLE_SIZE,
    CrawlerDefinition,
    CrawlerRepository,
    DeleteBehavior,
    RecrawlBehavior,
    Target,
    UpdateBehavior,
)
from catalog.crawler.errors import (
    CrawlerError,
    InvalidCrawlerDefinitionError,
    InvalidExclusionPatternError,
    ListingError,
    TableThresholdExceededError,
)
from catalog.crawler.explain import Explain
from catalog.crawler.grouping import GroupingPolicy
from catalog.crawler.history import CrawlHistory, CrawlMetrics, CrawlRun
from catalog.crawler.runner import Crawler, CrawlResult, adhoc_definition
from catalog.crawler.sampling import FileSystemReader, RangeReader, S3Reader

__all__ = [
    "DEFAULT_SAMPLE_SIZE",
    "CrawlHistory",
    "CrawlMetrics",
    "CrawlResult",
    "CrawlRun",
    "Crawler",
    "CrawlerDefinition",
    "CrawlerError",
    "CrawlerRepository",
    "DeleteBehavior",
    "Explain",
    "FileSystemReader",
    "GroupingPolicy",
    "InvalidCrawlerDefinitionError",
    "InvalidExclusionPatternError",
    "ListingError",
    "RangeReader",
    "RecrawlBehavior",
    "S3Reader",
    "TableThresholdExceededError",
    "Target",
    "UpdateBehavior",
    "adhoc_definition",
]
