"""Delta Lake tables with Spark doing the data work and ``deltalake`` committing."""

from lake.delta._ownership import check_new_location
from lake.delta._scan import Filter, ScanPlan
from lake.delta.errors import (
    ConcurrentCommitError,
    DataFilesMissingError,
    DeltaStoreError,
    InvalidWriteError,
    LocationNotEmptyError,
    MergeError,
    RetentionTooShortError,
    SchemaMismatchError,
    TableExistsError,
    TableNotFoundError,
    VersionVacuumedError,
)
from lake.delta.maintenance import PurgeResult, VacuumResult, purge_table, table_history, vacuum_table
from lake.delta.store import DeltaTableStore, WriteMode, WriteResult

__all__ = [
    "ConcurrentCommitError",
    "DataFilesMissingError",
    "DeltaStoreError",
    "DeltaTableStore",
    "Filter",
    "InvalidWriteError",
    "LocationNotEmptyError",
    "MergeError",
    "PurgeResult",
    "RetentionTooShortError",
    "ScanPlan",
    "SchemaMismatchError",
    "TableExistsError",
    "TableNotFoundError",
    "VacuumResult",
    "VersionVacuumedError",
    "WriteMode",
    "WriteResult",
    "check_new_location",
    "purge_table",
    "table_history",
    "vacuum_table",
]
