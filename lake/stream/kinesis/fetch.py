"""Reading one shard from a position: the loop both the driver and the tasks run.

The driver reads ahead to decide where a micro-batch ends (``max_records``, or the
available-now target time); a task replays exactly the range ``(start, end]`` a
checkpointed batch covers. Both stop at the shard's end, when caught up, or at the limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lake.stream.kinesis.client import IteratorExpired, KinesisClient
from lake.stream.kinesis.positions import iterator_args

__all__ = ["Fetch", "KinesisRow", "fetch_shard"]

# (data, stream, shard_id, sequence_number, partition_key, approximate_arrival, millis_behind)
KinesisRow = tuple[bytes, str, str, str, str, datetime, int | None]
_DRIVER_EMPTY_POLLS = 3


@dataclass
class Fetch:
    """What a read of one shard returned and why it stopped."""

    rows: list[KinesisRow] = field(default_factory=list)
    count: int = 0  # records consumed (``rows`` holds them all unless ``rows_dropped``)
    rows_dropped: bool = False
    last_sequence: str | None = None
    millis_behind: int | None = None
    shard_end: bool = False  # no NextShardIterator: a closed shard read to its end
    caught_up: bool = False  # the last response was empty (or short) with no lag
    reached_target: bool = False  # stopped at a record that arrived after ``until_ms``


def _arrival(record: dict[str, Any]) -> datetime:
    moment = record["ApproximateArrivalTimestamp"]  # epoch seconds (see KinesisClient)
    if isinstance(moment, int | float | str):
        return datetime.fromtimestamp(float(moment), tz=UTC)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def fetch_shard(
    client: KinesisClient,
    shard: str,
    position: str,
    *,
    max_records: int | None = None,
    until_sequence: str | None = None,
    until_ms: int | None = None,
    fetch_limit: int = 10_000,
    keep_limit: int | None = None,
) -> Fetch:
    """Read ``shard`` after ``position``; see the module docstring for when it stops.

    With ``until_sequence`` (a replay) empty responses are followed while the shard still
    reports lag; otherwise a few empty polls end the read. Past ``keep_limit`` records the
    rows are dropped and only positions are tracked (the driver reading ahead of a large
    backlog; the tasks then re-read).
    """
    out = Fetch()
    stream = client.stream
    iterator = client.shard_iterator(shard, **iterator_args(position))
    empty_polls = 0
    end_int = int(until_sequence) if until_sequence is not None else None
    while True:
        limit = fetch_limit
        if max_records is not None:
            limit = max(1, min(fetch_limit, max_records - out.count))
        try:
            response = client.get_records(shard, iterator, limit)
        except IteratorExpired:
            iterator = client.shard_iterator(shard, **iterator_args(out.last_sequence or position))
            continue
        records = response.get("Records") or []
        out.millis_behind = response.get("MillisBehindLatest")
        stop = False
        for record in records:
            seq = str(record["SequenceNumber"])
            if end_int is not None and int(seq) > end_int:
                stop = True
                break
            arrival = _arrival(record)
            if until_ms is not None and arrival.timestamp() * 1000 > until_ms:
                out.reached_target = stop = True
                break
            if not out.rows_dropped:
                out.rows.append((
                    bytes(record["Data"]), stream, shard, seq, str(record.get("PartitionKey", "")),
                    arrival, out.millis_behind,
                ))
                if keep_limit is not None and len(out.rows) > keep_limit:
                    out.rows, out.rows_dropped = [], True
            out.count += 1
            out.last_sequence = seq
            if end_int is not None and int(seq) == end_int:
                stop = True
                break
        following = response.get("NextShardIterator")
        if following is None:
            out.shard_end = True
            break
        if stop or (max_records is not None and out.count >= max_records):
            break
        lagging = bool(out.millis_behind)
        if not records:
            if not lagging:
                out.caught_up = True
                break
            empty_polls += 1
            if until_sequence is None and empty_polls >= _DRIVER_EMPTY_POLLS:
                break
        else:
            empty_polls = 0
            if len(records) < limit and not lagging:
                out.caught_up = True
                break
        iterator = following
    return out
