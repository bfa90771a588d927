"""The ingest streaming query: Kinesis → ``foreachBatch`` (raw zone, bronze, metrics).

The checkpoint lives in the lake (``_checkpoints/<job>/``) so the job resumes on any
machine that reaches the lake; its offsets are the per-shard sequence numbers plus the
stream's identity, checked against the live stream by the source on every trigger.
``reset_checkpoint`` moves the checkpoint aside first (see :mod:`.checkpoint`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from lake.errors import LakeforgeError
from lake.stream.ingest.batch import BatchProcessor, IngestTotals
from lake.stream.ingest.checkpoint import move_checkpoint_aside
from lake.stream.ingest.config import IngestConfig
from lake.stream.ingest.errors import IngestQueryError
from lake.stream.ingest.metrics import BatchMetrics
from lake.stream.kinesis import kinesis_options, register_kinesis_source

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.streaming import StreamingQuery

    from lake.storage import StorageProfile

__all__ = ["IngestQueryError", "check_sources", "run_ingest", "start_ingest", "stop_gracefully"]

_LAKE_ERROR = re.compile(r"\b(lake\.[\w.]+?\.(\w+(?:Error|Exception))): (.+)")
_STOP_WAIT_SECONDS = 120
# Profiles whose Kinesis is moto, whose sequence numbers go 1, 2, 3… per shard: records lost
# to retention can be counted there (AWS sequence numbers are not contiguous).
_CONTIGUOUS_SEQUENCE_KINDS = frozenset({"moto", "local"})


def _reason(exc: BaseException) -> str:
    """The innermost lakeforge error in a query failure, else its first line."""
    text = str(exc)
    found = _LAKE_ERROR.findall(text)
    if found:
        _, name, message = found[-1]
        return f"{name}: {message.strip()}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:500] if lines else type(exc).__name__


def check_sources(profile: StorageProfile, config: IngestConfig, *, timeout_seconds: float = 15.0) -> None:
    """Before Spark starts: the lake is there (its bucket is created, as :func:`run_ingest` does) and the
    stream exists; else their one-line errors."""
    from dataclasses import replace

    from lake.stream.kinesis.client import KinesisClient
    from lake.stream.kinesis.options import KinesisOptions

    profile.ensure_lake()
    options = KinesisOptions.from_options(kinesis_options(profile.boto3_kwargs(), config.stream))
    KinesisClient(replace(options, retry_timeout_seconds=timeout_seconds)).describe_summary()


def start_ingest(
    spark: SparkSession,
    profile: StorageProfile,
    config: IngestConfig,
    *,
    progress: Callable[[BatchMetrics], None] | None = None,
) -> tuple[StreamingQuery, BatchProcessor]:
    """Start the query and return it with its batch processor (for totals)."""
    register_kinesis_source(spark)
    boto3_kwargs = profile.boto3_kwargs()
    checkpoint = profile.resolve(config.checkpoint)
    moved = move_checkpoint_aside(profile, config.checkpoint) if config.reset_checkpoint else None
    options = kinesis_options(
        boto3_kwargs, config.stream, starting_position=config.start_position,
        starting_timestamp=config.starting_timestamp,
        max_records_per_trigger=config.max_records_per_trigger,
        fail_on_data_loss=not config.allow_data_loss,
        contiguous_sequence_numbers=profile.kind in _CONTIGUOUS_SEQUENCE_KINDS,
        checkpoint_location=checkpoint,
    )
    source = spark.readStream.format("kinesis").options(**options).load()
    processor = BatchProcessor(spark, profile, config, progress=progress)
    processor.totals.checkpoint_moved_to = moved
    writer = (
        source.writeStream.foreachBatch(processor)
        .queryName(config.job)
        .option("checkpointLocation", profile.to_spark_uri(checkpoint))
    )
    if config.available_now:
        writer = writer.trigger(availableNow=True)
    else:
        writer = writer.trigger(processingTime=f"{int(config.trigger_seconds * 1000)} milliseconds")
    query = writer.start()
    processor.bind(str(query.id))
    return query, processor


def stop_gracefully(query: StreamingQuery, timeout: float = _STOP_WAIT_SECONDS) -> None:
    """Let the running batch finish, then stop (a batch cut short is replayed next start)."""
    deadline = time.monotonic() + timeout
    while query.isActive and time.monotonic() < deadline:
        if not query.status.get("isTriggerActive"):
            break
        time.sleep(0.1)
    query.stop()


def run_ingest(
    spark: SparkSession,
    profile: StorageProfile,
    config: IngestConfig,
    *,
    progress: Callable[[BatchMetrics], None] | None = None,
) -> IngestTotals:
    """Run the job until caught up (``available_now``), the timeout, or an interrupt."""
    profile.ensure_lake()
    query, processor = start_ingest(spark, profile, config, progress=progress)
    try:
        if config.available_now:
            query.awaitTermination()
        elif config.timeout_seconds is not None:
            if not query.awaitTermination(int(max(1, round(config.timeout_seconds)))):
                stop_gracefully(query)
        else:
            query.awaitTermination()
    except KeyboardInterrupt:
        stop_gracefully(query)
    except LakeforgeError:
        raise
    except Exception as exc:
        raise IngestQueryError(config.job, _reason(exc), processor.totals) from None
    failure = query.exception()
    if failure is not None:
        raise IngestQueryError(config.job, _reason(failure), processor.totals)
    return processor.totals
