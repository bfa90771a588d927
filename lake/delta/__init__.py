"""Delta Lake tables with Spark doing the data work and ``deltalake`` committing."""

from lake.delta._ownership import check_new_location
from lake.delta._scan import FileStats, Filter, ScanPlan
from lake.delta.errors import (
    ConcurrentCommitError,
    DataFilesMissingError,
    DeltaStoreError,
    InvalidWriteError,
    LocationNotEmptyError,
    MergeError,
    NotADeltaTableError,
    RetentionTooShortError,
    SchemaMismatchError,
    TableExistsError,
    TableNotFoundError,
    TableProtocolError,
    VersionNotFoundError,
    VersionVacuumedError,
)
from lake.delta.maintenance import PurgeResult, VacuumResult, check_table, purge_table, table_history, vacuum_table
from lake.delta.store import DataFiles, DeltaTableStore, WriteMode, WriteResult

__all__ = [
    "ConcurrentCommitError",
    "DataFiles",
    "DataFilesMissingError",
    "DeltaStoreError",
    "DeltaTableStore",
    "FileStats",
    "Filter",
    "InvalidWriteError",
    "LocationNotEmptyError",
    "MergeError",
    "NotADeltaTableError",
    "PurgeResult",
    "RetentionTooShortError",
    "ScanPlan",
    "SchemaMismatchError",
    "TableExistsError",
    "TableNotFoundError",
    "TableProtocolError",
    "VacuumResult",
    "VersionNotFoundError",
    "VersionVacuumedError",
    "WriteMode",
    "WriteResult",
    "check_new_location",
    "check_table",
    "purge_table",
    "table_history",
    "vacuum_table",
]
