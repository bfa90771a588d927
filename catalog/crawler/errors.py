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
    """Base of every crawler error."""


class InvalidCrawlerDefinitionError(InvalidInputError, CrawlerError):
    """A crawler definition breaks a rule (bad option value, contradictory policies)."""

    template = "{field}: crawler {crawler!r}: {message}"
    crawler: str

    def __init__(self, crawler: str, field: str, message: str) -> None:
        super().__init__(crawler=crawler, field=field, message=message)


class InvalidExclusionPatternError(InvalidInputError, CrawlerError):
    """An exclusion glob does not compile (e.g. an unclosed ``[`` or ``{``)."""

    template = "exclusions: exclusion pattern {pattern!r}: {reason}"
    pattern: str
    reason: str

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(pattern=pattern, reason=reason, field="exclusions")


class ListingError(CrawlerError):
    """An include path cannot be listed (missing bucket, missing directory, access denied)."""

    template = "cannot list {path}: {reason}"
    path: str
    reason: str


class TableThresholdExceededError(CrawlerError):
    """The crawl found more tables than the crawler's TableThreshold allows; nothing written."""

    template = (
        "crawler {crawler!r} found {found} tables, more than its table threshold {threshold}; "
        "nothing was written (tables: {shown})"
    )
    crawler: str
    found: int
    threshold: int
    tables: list[str]

    @property
    def shown(self) -> str:
        return ", ".join(self.tables[:10]) + (" …" if len(self.tables) > 10 else "")
