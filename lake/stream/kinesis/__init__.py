"""The ``kinesis`` streaming source for Spark Structured Streaming (a Python data source).

Usage::

    from lake.stream.kinesis import register_kinesis_source, kinesis_options
    register_kinesis_source(spark)
    df = (spark.readStream.format("kinesis")
          .options(**kinesis_options(profile.boto3_kwargs(), "heart"))
          .load())
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lake.stream.kinesis.errors import (
    CheckpointMismatchError,
    KinesisDataLossError,
    KinesisOptionError,
    KinesisServiceError,
    KinesisSourceError,
    KinesisStreamNotFoundError,
    KinesisUnavailableError,
)
from lake.stream.kinesis.offsets import SourceOffset, StreamIdentity
from lake.stream.kinesis.options import STARTING_POSITIONS, KinesisOptions, kinesis_options
from lake.stream.kinesis.source import (
    SOURCE_ARROW_SCHEMA,
    SOURCE_SCHEMA,
    KinesisDataSource,
    KinesisPartition,
    KinesisStreamReader,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "SOURCE_ARROW_SCHEMA",
    "SOURCE_SCHEMA",
    "STARTING_POSITIONS",
    "CheckpointMismatchError",
    "KinesisDataLossError",
    "KinesisDataSource",
    "KinesisOptionError",
    "KinesisOptions",
    "KinesisPartition",
    "KinesisServiceError",
    "KinesisSourceError",
    "KinesisStreamNotFoundError",
    "KinesisStreamReader",
    "KinesisUnavailableError",
    "SourceOffset",
    "StreamIdentity",
    "kinesis_options",
    "register_kinesis_source",
]


def register_kinesis_source(spark: SparkSession) -> None:
    """Make ``spark.readStream.format("kinesis")`` available in ``spark``."""
    spark.dataSource.register(KinesisDataSource)
