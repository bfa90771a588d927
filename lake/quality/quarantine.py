"""Rows for a ``<db>.<table>__quarantine`` Delta table: the full row plus why, when and from what.

Columns added to the source row: ``_failed_rules array<string>`` (every rule the row failed,
warn rules included), ``_run_id string``, ``_source_version map<string,bigint>`` (each source
table → the Delta version the run read up to) and ``_quarantined_at timestamp`` (UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lake.quality.errors import QuarantineFrameError
from lake.quality.rules import FAILED_RULES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

__all__ = [
    "QUARANTINE_COLUMNS",
    "QUARANTINE_SUFFIX",
    "quarantine_frame",
    "quarantine_schema",
    "quarantine_table_name",
]

QUARANTINE_SUFFIX = "__quarantine"
QUARANTINE_COLUMNS = (FAILED_RULES, "_run_id", "_source_version", "_quarantined_at")


def quarantine_table_name(table: str) -> str:
    """``silver.vitals`` → ``silver.vitals__quarantine``."""
    if not table or table.endswith(QUARANTINE_SUFFIX):
        raise QuarantineFrameError(f"{table!r} is not a table that can have a quarantine table")
    return table + QUARANTINE_SUFFIX


def quarantine_schema(source: StructType) -> StructType:
    """The quarantine table's schema for a source row schema (exactly what :func:`quarantine_frame` yields)."""
    from pyspark.sql.types import (
        ArrayType,
        LongType,
        MapType,
        StringType,
        StructField,
        StructType,
        TimestampType,
    )

    _check_free(source.fieldNames())
    return StructType([
        *source.fields,
        StructField(FAILED_RULES, ArrayType(StringType(), containsNull=True), nullable=False),
        StructField("_run_id", StringType(), nullable=False),
        StructField("_source_version", MapType(StringType(), LongType(), valueContainsNull=True), nullable=False),
        StructField("_quarantined_at", TimestampType(), nullable=False),
    ])


def quarantine_frame(
    rows: DataFrame,
    *,
    run_id: str,
    source_versions: Mapping[str, int],
    quarantined_at: datetime | None = None,
) -> DataFrame:
    """``rows`` (source columns + ``_failed_rules``, e.g. ``RowRuleOutcome.quarantine``) shaped
    for the quarantine table."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, StringType

    if FAILED_RULES not in rows.columns:
        raise QuarantineFrameError(f"missing the {FAILED_RULES!r} column (use RowRuleOutcome.quarantine)")
    kind = rows.schema[FAILED_RULES].dataType
    if not (isinstance(kind, ArrayType) and isinstance(kind.elementType, StringType)):
        raise QuarantineFrameError(f"{FAILED_RULES!r} must be array<string>, got {kind.simpleString()}")
    _check_free([c for c in rows.columns if c != FAILED_RULES])
    if not run_id:
        raise QuarantineFrameError("a run id is required")
    for source, version in source_versions.items():
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise QuarantineFrameError(f"source version of {source!r} must be a Delta version ≥ 0, got {version!r}")
    moment = quarantined_at or datetime.now(UTC)
    pairs = [col for source, version in sorted(source_versions.items())
             for col in (F.lit(source), F.lit(version).cast("bigint"))]
    versions = F.create_map(*pairs).cast("map<string,bigint>")
    data = [c for c in rows.columns if c != FAILED_RULES]
    return rows.select(
        *[F.col("`" + c.replace("`", "``") + "`") for c in data],
        F.coalesce(F.col(FAILED_RULES), F.array().cast("array<string>")).alias(FAILED_RULES),
        F.lit(run_id).alias("_run_id"),
        versions.alias("_source_version"),
        F.lit(moment).cast("timestamp").alias("_quarantined_at"),
    )


def _check_free(columns: list[str]) -> None:
    clash = sorted(set(columns) & set(QUARANTINE_COLUMNS))
    if clash:
        raise QuarantineFrameError(f"the source already has column(s) {clash}, reserved for the quarantine table")
