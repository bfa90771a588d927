"""Errors of the Delta table store."""

from __future__ import annotations

from collections.abc import Sequence

from lake.errors import LakeforgeError, Transient

__all__ = [
    "ConcurrentCommitError",
    "DeltaStoreError",
    "InvalidWriteError",
    "MergeError",
    "SchemaMismatchError",
    "TableExistsError",
    "TableNotFoundError",
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
    """The data's schema does not fit the table's and evolution was not requested."""

    template = "{table}: column {column!r} {reason} (data type {shown_from}, table type {shown_to})"
    table: str
    column: str
    from_type: str | None
    to_type: str | None
    reason: str

    @property
    def shown_from(self) -> str:
        return self.from_type or "-"

    @property
    def shown_to(self) -> str:
        return self.to_type or "-"


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
