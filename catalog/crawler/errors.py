"""Typed errors of the crawler; each names the crawler, path or rule it is about."""

from __future__ import annotations

from catalog.errors import CatalogError, InvalidInputError

__all__ = [
    "CrawlerError",
    "InvalidCrawlerDefinitionError",
    "InvalidExclusionPatternError",
    "ListingError",
    "TableThresholdExceededError",
]


class CrawlerError(CatalogError):
    """Base of every terminal crawler error."""


class InvalidCrawlerDefinitionError(InvalidInputError):
    """A crawler definition breaks a rule (bad option value, contradictory policies)."""

    def __init__(self, crawler: str, field: str, message: str):
        self.crawler = crawler
        super().__init__(f"crawler {crawler!r}: {message}", field=field)


class InvalidExclusionPatternError(InvalidInputError):
    """An exclusion glob does not compile (e.g. an unclosed ``[`` or ``{``)."""

    def __init__(self, pattern: str, reason: str):
        self.pattern = pattern
        self.reason = reason
        super().__init__(f"exclusion pattern {pattern!r}: {reason}", field="exclusions")


class ListingError(CrawlerError):
    """An include path cannot be listed (missing bucket, missing directory, access denied)."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"cannot list {path}: {reason}")


class TableThresholdExceededError(CrawlerError):
    """The crawl found more tables than the crawler's TableThreshold allows; nothing written."""

    def __init__(self, crawler: str, found: int, threshold: int, tables: list[str]):
        self.crawler = crawler
        self.found = found
        self.threshold = threshold
        self.tables = tables
        shown = ", ".join(tables[:10]) + (" …" if len(tables) > 10 else "")
        super().__init__(
            f"crawler {crawler!r} found {found} tables, more than its table threshold "
            f"{threshold}; nothing was written (tables: {shown})"
        )
