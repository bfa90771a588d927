"""Errors of the Delta table store."""

from __future__ import annotations

from collections.abc import Sequence

from lake.errors import LakeforgeError, Transient

__all__ = [
    "ConcurrentCommitError",
    "DataFilesMissingError",
    "DeltaStoreError",
    "InvalidWriteError",
    "LocationNotEmptyError",
    "MergeError",
    "NotADeltaTableError",
    "RetentionTooShortError",
    "SchemaMismatchError",
    "TableExistsError",
    "TableNotFoundError",
    "TableProtocolError",
    "VersionNotFoundError",
    "VersionVacuumedError",
]


class DeltaStoreError(LakeforgeError):
    """Base of every table-store error."""


class TableNotFoundError(DeltaStoreError):
    """No Delta table (no ``_delta_log``) at the given location."""

    template = "no Delta table at {table}"
    table: str


class TableExistsError(DeltaStoreError):
    """``mode="create"`` on a location that already holds a Delta table."""

    template = "a Delta table already exists at {table}"
    table: str


class SchemaMismatchError(DeltaStoreError):
    """The data's schema does not fit the table's and evolution was not requested.

    ``column`` is ``None`` when delta-rs refused the schema without naming a column.
    """

    template = "{table}: {subject}{reason}{types}"
    table: str
    column: str | None
    from_type: str | None
    to_type: str | None
    reason: str

    @property
    def subject(self) -> str:
        return f"column {self.column!r} " if self.column is not None else "the data's schema does not fit the table's: "

    @property
    def types(self) -> str:
        if self.column is None:
            return ""
        return f" (data type {self.from_type or '-'}, table type {self.to_type or '-'})"


class NotADeltaTableError(TableNotFoundError):
    """The location holds files but no Delta log: a raw folder, not a Delta table."""

    template = (
        "{table} holds files but no _delta_log/: it is not a Delta table (a raw folder is read "
        "through the catalog after `lake crawl`; `lake table import` turns files into a Delta table)"
    )


class TableProtocolError(DeltaStoreError):
    """The table's log cannot be read or written by this delta-rs (protocol, features, corrupt log)."""

    template = "{table}: the Delta log cannot be used: {reason}"
    table: str
    reason: str


class InvalidWriteError(DeltaStoreError):
    """The write request itself is inconsistent (mode, partitioning, predicate)."""

    template = "{table}: {reason}"
    table: str
    reason: str
    columns: Sequence[str] = ()


class MergeError(DeltaStoreError):
    """A MERGE cannot be applied (e.g. several source rows match one target row)."""

    template = "MERGE into {table}: {reason}"
    table: str
    reason: str


class ConcurrentCommitError(Transient, DeltaStoreError):
    """Another writer committed a conflicting change first; the operation may be retried."""

    template = "{table}: concurrent commit conflict at version {version}: {reason}"
    table: str
    version: int | None
    reason: str


def _shown(files: Sequence[str], count: int) -> str:
    more = count - len(files)
    return ", ".join(files) + (f" and {more} more" if more > 0 else "")


class LocationNotEmptyError(DeltaStoreError):
    """A new Delta table would be created in a location holding files it did not write."""

    template = (
        "{table} is not empty and is not a Delta table (found {shown}); choose an empty location, "
        "or allow it explicitly (allow_non_empty=True, --allow-non-empty): the table never adopts "
        "or deletes files it did not write"
    )
    table: str
    files: Sequence[str]
    count: int

    @property
    def shown(self) -> str:
        return _shown(self.files, self.count)


class RetentionTooShortError(DeltaStoreError):
    """VACUUM with a retention below the configured minimum and without ``force``."""

    template = (
        "VACUUM of {table}: a retention of {retain_hours:g} h is below the minimum of {minimum:g} h "
        "(delta.vacuum_min_retention_hours), so versions older than {retain_hours:g} h could no longer "
        "be read; pass force=True (--force) to vacuum anyway"
    )
    table: str
    retain_hours: float
    minimum: float


class VersionNotFoundError(DeltaStoreError):
    """Time travel to a version the table never had."""

    template = "{table} has no version {version}: its latest version is {latest}"
    table: str
    version: int
    latest: int


class VersionVacuumedError(DeltaStoreError):
    """A time-travel read of a version whose data files VACUUM deleted."""

    template = (
        "version {version} of {table}: its data files were removed by VACUUM at {vacuumed_at}"
        "{retention}; versions from {oldest_readable} on are readable"
    )
    table: str
    version: int
    vacuumed_at: str
    oldest_readable: int
    retention_hours: float | None = None

    @property
    def retention(self) -> str:
        return "" if self.retention_hours is None else f" (retention {self.retention_hours:g} h)"


class DataFilesMissingError(DeltaStoreError):
    """Data files of a version are gone, and no VACUUM in the log removed them."""

    template = (
        "version {version} of {table}: {count} of its data files are missing ({shown}) and no VACUUM "
        "in the log removed them; the table's storage was changed outside the lake"
    )
    table: str
    version: int
    files: Sequence[str]
    count: int

    @property
    def shown(self) -> str:
        return _shown(self.files, self.count)
