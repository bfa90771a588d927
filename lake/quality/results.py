"""Result records of quality rules: one row per rule per run, for the ``quality.results`` table.

Columns (Spark :data:`RESULTS_SPARK_SCHEMA`, Arrow :data:`RESULTS_ARROW_SCHEMA`):

============  =========  ==================================================================
run_id        string     the ETL run that evaluated the rule
table         string     the table the rule guards (``db.name``)
rule          string     the rule's name (constraint name, GX rule name, DQDL rule text)
kind          string     ``row`` (row rule), ``table`` (GX expectation), ``raw`` (ingest errors)
action        string     ``warn`` | ``drop`` | ``fail``
evaluated     bigint     rows the rule looked at (null when GX does not report it)
failed        bigint     rows that failed it; null for aggregate expectations (see observed)
status        string     ``passed`` | ``warned`` | ``dropped`` | ``failed``
seconds       double     wall time of the pass that evaluated the rule, shared evenly among
                         the rules evaluated in that pass (so seconds add up per run)
observed      string     JSON: GX's observed value, or null
details       string     JSON: sample of failing values, thresholds, the pass's total time
recorded_at   timestamp  when the result was made (UTC)
============  =========  ==================================================================
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType, TimestampType

from lake.errors import InvalidOptionError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "RESULTS_ARROW_SCHEMA",
    "RESULTS_COLUMNS",
    "RESULTS_SPARK_SCHEMA",
    "QualityResult",
    "RuleAction",
    "RuleKind",
    "RuleStatus",
    "new_run_id",
    "results_to_arrow",
    "results_to_spark",
    "status_for",
    "to_json",
]


class RuleAction(StrEnum):
    """What happens to data that fails a rule."""

    WARN = "warn"
    DROP = "drop"
    FAIL = "fail"

    @classmethod
    def parse(cls, value: str | RuleAction, *, allowed: Iterable[RuleAction] | None = None) -> RuleAction:
        """``value`` as an action; an unknown (or not ``allowed``) value lists the valid ones."""
        valid = list(allowed or cls)
        try:
            action = cls(str(value).strip().lower())
        except ValueError:
            action = None
        if action is None or action not in valid:
            raise InvalidOptionError("action", value, " | ".join(a.value for a in valid))
        return action


class RuleKind(StrEnum):
    ROW = "row"
    TABLE = "table"
    RAW = "raw"


class RuleStatus(StrEnum):
    PASSED = "passed"
    WARNED = "warned"
    DROPPED = "dropped"
    FAILED = "failed"


def status_for(action: RuleAction, violated: bool) -> RuleStatus:
    """The status of a rule with ``action`` that was (or was not) violated."""
    if not violated:
        return RuleStatus.PASSED
    return {RuleAction.WARN: RuleStatus.WARNED, RuleAction.DROP: RuleStatus.DROPPED,
            RuleAction.FAIL: RuleStatus.FAILED}[action]


def new_run_id() -> str:
    """A sortable run id: UTC time to the second plus a random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def to_json(value: Any) -> str | None:
    """Compact JSON for the observed/details columns (dates, numpy scalars, sets as strings)."""
    if value is None:
        return None
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    return str(value)


@dataclass(frozen=True)
class QualityResult:
    """One rule's outcome in one run (a row of ``quality.results``)."""

    run_id: str
    table: str
    rule: str
    kind: RuleKind
    action: RuleAction
    evaluated: int | None
    failed: int | None
    status: RuleStatus
    seconds: float
    observed: Any = None
    details: Mapping[str, Any] = field(default_factory=dict)
    recorded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_row(self) -> dict[str, Any]:
        """A plain dict in :data:`RESULTS_COLUMNS` order, observed/details as JSON text."""
        return {
            "run_id": self.run_id,
            "table": self.table,
            "rule": self.rule,
            "kind": str(self.kind),
            "action": str(self.action),
            "evaluated": self.evaluated,
            "failed": self.failed,
            "status": str(self.status),
            "seconds": float(self.seconds),
            "observed": to_json(self.observed),
            "details": to_json(dict(self.details)) if self.details else None,
            "recorded_at": self.recorded_at,
        }


RESULTS_ARROW_SCHEMA = pa.schema([
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("table", pa.string(), nullable=False),
    pa.field("rule", pa.string(), nullable=False),
    pa.field("kind", pa.string(), nullable=False),
    pa.field("action", pa.string(), nullable=False),
    pa.field("evaluated", pa.int64()),
    pa.field("failed", pa.int64()),
    pa.field("status", pa.string(), nullable=False),
    pa.field("seconds", pa.float64(), nullable=False),
    pa.field("observed", pa.string()),
    pa.field("details", pa.string()),
    pa.field("recorded_at", pa.timestamp("us", tz="UTC"), nullable=False),
])
RESULTS_COLUMNS: tuple[str, ...] = tuple(RESULTS_ARROW_SCHEMA.names)


_SPARK_TYPES = {pa.string(): StringType(), pa.int64(): LongType(), pa.float64(): DoubleType()}
RESULTS_SPARK_SCHEMA = StructType([
    StructField(f.name, _SPARK_TYPES.get(f.type, TimestampType()), f.nullable) for f in RESULTS_ARROW_SCHEMA
])


def results_to_arrow(results: Iterable[QualityResult]) -> pa.Table:
    """The results as an Arrow table with :data:`RESULTS_ARROW_SCHEMA`."""
    return pa.Table.from_pylist([r.to_row() for r in results], schema=RESULTS_ARROW_SCHEMA)


def results_to_spark(spark: SparkSession, results: Iterable[QualityResult]) -> DataFrame:
    """The results as a Spark DataFrame with :data:`RESULTS_SPARK_SCHEMA`."""
    return spark.createDataFrame(results_to_arrow(results), schema=RESULTS_SPARK_SCHEMA)
