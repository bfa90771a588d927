"""The ingest job: Kinesis → raw zone (gzip NDJSON by event hour) + bronze Delta table."""

from lake.stream.ingest.batch import FAULT_ENV, BatchProcessor, IngestTotals
from lake.stream.ingest.bronze import METADATA_FIELDS, PARTITION_COLUMN, BronzeWriter
from lake.stream.ingest.checkpoint import move_checkpoint_aside
from lake.stream.ingest.coerce import RESCUED, coerce_objects, infer_type
from lake.stream.ingest.config import (
    DEFAULT_MAX_RECORDS_PER_TRIGGER,
    DEFAULT_TRIGGER_SECONDS,
    RESET_POSITIONS,
    IngestConfig,
)
from lake.stream.ingest.errors import CheckpointResetError, IngestError
from lake.stream.ingest.job import IngestQueryError, check_sources, run_ingest, start_ingest, stop_gracefully
from lake.stream.ingest.metrics import METRICS_SCHEMA, BatchMetrics, MetricsTable, progress_line
from lake.stream.ingest.parse import (
    ERROR_TYPES,
    ErrorRecord,
    LostRecords,
    ParsedBatch,
    parse_records,
)
from lake.stream.ingest.raw_zone import hour_partition, plan_raw_files, write_raw_files

__all__ = [
    "DEFAULT_MAX_RECORDS_PER_TRIGGER",
    "DEFAULT_TRIGGER_SECONDS",
    "ERROR_TYPES",
    "FAULT_ENV",
    "METADATA_FIELDS",
    "METRICS_SCHEMA",
    "PARTITION_COLUMN",
    "RESCUED",
    "RESET_POSITIONS",
    "BatchMetrics",
    "BatchProcessor",
    "BronzeWriter",
    "CheckpointResetError",
    "ErrorRecord",
    "IngestConfig",
    "IngestError",
    "IngestQueryError",
    "IngestTotals",
    "LostRecords",
    "MetricsTable",
    "ParsedBatch",
    "check_sources",
    "coerce_objects",
    "hour_partition",
    "infer_type",
    "move_checkpoint_aside",
    "parse_records",
    "plan_raw_files",
    "progress_line",
    "run_ingest",
    "start_ingest",
    "stop_gracefully",
    "write_raw_files",
]
