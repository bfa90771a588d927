"""Kinesis records → JSON objects with their metadata, or error records with a reason.

A record is valid when its bytes are UTF-8 JSON whose top level is an object; anything
else becomes an :class:`ErrorRecord` (never dropped). Records are ordered by shard and
sequence number so everything derived from a batch is deterministic. The source's loss rows
(``data`` null: records that expired before they were read) become :class:`LostRecords`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

__all__ = [
    "ERROR_TYPES",
    "ErrorRecord",
    "LostRecords",
    "ParsedBatch",
    "RecordMeta",
    "ValidRecord",
    "parse_event_time",
    "parse_records",
]

ERROR_TYPES = ("InvalidEncoding", "MalformedJson", "NotAJsonObject")


@dataclass(slots=True)
class RecordMeta:
    """Where a record came from in the stream."""

    stream: str
    shard_id: str
    sequence_number: str
    partition_key: str
    arrival_us: int  # ApproximateArrivalTimestamp, epoch microseconds
    millis_behind: int | None

    @property
    def arrival(self) -> datetime:
        return datetime.fromtimestamp(self.arrival_us / 1_000_000, tz=UTC)


@dataclass(slots=True)
class ValidRecord:
    obj: dict[str, Any]
    line: bytes  # one NDJSON line (the original bytes unless they spanned lines)
    meta: RecordMeta


@dataclass(slots=True)
class ErrorRecord:
    error_type: str
    message: str
    data: bytes
    meta: RecordMeta


@dataclass(frozen=True, slots=True)
class LostRecords:
    """Records of a shard after ``after`` that expired unread (``count`` None: unknown)."""

    shard_id: str
    after: str
    count: int | None


@dataclass
class ParsedBatch:
    valid: list[ValidRecord]
    errors: list[ErrorRecord]
    bytes_in: int = 0
    lost: list[LostRecords] = field(default_factory=list)

    @property
    def records_in(self) -> int:
        return len(self.valid) + len(self.errors)

    @property
    def records_lost(self) -> int:
        """Records counted as lost (gaps of unknown size are in :attr:`uncounted_loss_gaps`)."""
        return sum(gap.count for gap in self.lost if gap.count is not None)

    @property
    def uncounted_loss_gaps(self) -> int:
        return sum(1 for gap in self.lost if gap.count is None)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _utc(moment: Any) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_event_time(value: Any) -> datetime | None:
    """An ISO-8601 event time as an aware UTC datetime (no offset means UTC), else ``None``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return _utc(datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00")))
    except ValueError:
        return None


def parse_records(table: pa.Table) -> ParsedBatch:
    """Split a micro-batch of the kinesis source into valid JSON objects and errors."""
    cols = {
        name: table.column(name).to_pylist()
        for name in table.column_names if name != "approximate_arrival_timestamp"
    }
    arrival = table.column("approximate_arrival_timestamp")
    arrivals_us = arrival.cast(pa.timestamp("us", tz=arrival.type.tz)).cast(pa.int64()).to_pylist()
    shards, seqs = cols["shard_id"], cols["sequence_number"]
    order = sorted(
        range(table.num_rows),
        key=lambda i: (shards[i], int(seqs[i]) if seqs[i].isdigit() else -1),
    )
    out = ParsedBatch([], [])
    loads = json.JSONDecoder(parse_constant=_reject_constant).decode
    lags = cols.get("millis_behind_latest") or [None] * table.num_rows
    losses = cols.get("records_lost") or [None] * table.num_rows
    for i in order:
        if cols["data"][i] is None:  # a loss row of the source
            out.lost.append(LostRecords(shards[i], seqs[i], losses[i]))
            continue
        data: bytes = cols["data"][i]
        out.bytes_in += len(data)
        meta = RecordMeta(
            cols["stream"][i], shards[i], seqs[i], cols["partition_key"][i] or "",
            arrivals_us[i], lags[i],
        )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"not UTF-8: {exc.reason} at byte {exc.start}"
            out.errors.append(ErrorRecord("InvalidEncoding", reason, data, meta))
            continue
        try:
            obj = loads(text)
        except (ValueError, RecursionError) as exc:
            out.errors.append(ErrorRecord("MalformedJson", str(exc)[:500], data, meta))
            continue
        if not isinstance(obj, dict):
            reason = f"top-level JSON {type(obj).__name__}, expected an object"
            out.errors.append(ErrorRecord("NotAJsonObject", reason, data, meta))
            continue
        if "\n" in text or "\r" in text:
            stripped = text.strip()
            if "\n" in stripped or "\r" in stripped:
                line = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
            else:
                line = stripped.encode()
        elif text[:1].isspace() or text[-1:].isspace():
            line = text.strip().encode()
        else:
            line = data
        out.valid.append(ValidRecord(obj, line, meta))
    return out
