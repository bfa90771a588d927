"""What an ingest job reads, where it writes, and how it triggers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lake.errors import ConfigError
from lake.stream.kinesis.options import STARTING_POSITIONS

__all__ = [
    "DEFAULT_MAX_RECORDS_PER_TRIGGER",
    "DEFAULT_TRIGGER_SECONDS",
    "RESET_POSITIONS",
    "IngestConfig",
]

DEFAULT_TRIGGER_SECONDS = 5.0
DEFAULT_MAX_RECORDS_PER_TRIGGER = 20_000
RESET_POSITIONS = ("trim_horizon", "latest")
_STREAM_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


@dataclass(frozen=True)
class IngestConfig:
    """One ingest job: a Kinesis stream → raw zone + bronze table (+ metrics, checkpoint)."""

    stream: str
    job_name: str | None = None
    available_now: bool = False
    trigger_seconds: float = DEFAULT_TRIGGER_SECONDS
    max_records_per_trigger: int = DEFAULT_MAX_RECORDS_PER_TRIGGER
    starting_position: str = "trim_horizon"
    starting_timestamp: str | None = None
    event_time_field: str = "event_time"
    raw_prefix: str = "raw"
    bronze_prefix: str = "bronze"
    metrics_table: str = "_meta/ingest_metrics"
    checkpoint_prefix: str = "_checkpoints"
    timeout_seconds: float | None = None
    reset_checkpoint: str | None = None  # trim_horizon | latest: move the checkpoint aside first
    allow_data_loss: bool = False  # count records that expired unread instead of failing

    def __post_init__(self) -> None:
        if not _STREAM_NAME.match(self.stream):
            raise ConfigError(
                f"stream name {self.stream!r} is not a Kinesis stream name "
                "(1-128 of A-Z a-z 0-9 _ . -)", key="--stream",
            )
        if self.job_name is not None and not _STREAM_NAME.match(self.job_name):
            raise ConfigError(f"job name {self.job_name!r}: use 1-128 of A-Z a-z 0-9 _ . -",
                              key="--job-name")
        if self.trigger_seconds < 0:
            raise ConfigError(f"trigger interval {self.trigger_seconds} must be >= 0",
                              key="--trigger-seconds")
        if self.max_records_per_trigger <= 0:
            raise ConfigError(f"max records per trigger {self.max_records_per_trigger} must be > 0",
                              key="--max-records-per-trigger")
        if self.starting_position not in STARTING_POSITIONS:
            raise ConfigError(
                f"starting position {self.starting_position!r}; "
                f"valid: {', '.join(STARTING_POSITIONS)}",
                key="--starting-position",
            )
        if (self.starting_position == "at_timestamp") != (self.starting_timestamp is not None):
            raise ConfigError("--starting-timestamp goes with --starting-position at_timestamp",
                              key="--starting-timestamp")
        if self.reset_checkpoint is not None and self.reset_checkpoint not in RESET_POSITIONS:
            raise ConfigError(
                f"reset position {self.reset_checkpoint!r}; valid: {', '.join(RESET_POSITIONS)}",
                key="--reset-checkpoint",
            )
        if self.reset_checkpoint is not None and self.starting_position == "at_timestamp":
            raise ConfigError(
                "--reset-checkpoint says where the new checkpoint starts; "
                "drop --starting-position at_timestamp", key="--reset-checkpoint",
            )

    @property
    def start_position(self) -> str:
        """Where a new checkpoint starts: the reset position, else ``starting_position``."""
        return self.reset_checkpoint or self.starting_position

    @property
    def job(self) -> str:
        return self.job_name or f"ingest-{self.stream}"

    @property
    def bronze_table(self) -> str:
        return f"{self.bronze_prefix}/{self.stream}"

    @property
    def bronze_catalog_name(self) -> str:
        """``bronze.<stream>`` (the stream name made a valid table name)."""
        name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in self.stream).lower()
        return f"bronze.{name}"

    def catalog_tables(self) -> dict[str, str]:
        """The catalog names of the Delta tables this job writes (``db.table`` → path)."""
        from lake.etl.spec import RESULTS_LOCATION

        return {self.bronze_catalog_name: self.bronze_table, "ops.ingest_metrics": self.metrics_table,
                "quality.results": RESULTS_LOCATION}

    @property
    def checkpoint(self) -> str:
        return f"{self.checkpoint_prefix}/{self.job}"
