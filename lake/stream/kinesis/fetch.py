"""Reading one shard from a position: the loop both the driver and the tasks run.

The driver reads ahead to decide where a micro-batch ends (``max_records``, or the
available-now target time); a task replays exactly the range ``(start, end]`` a
checkpointed batch covers. Both stop at the shard's end, when caught up, or at the limit.

A sequence-number position is re-read with ``AT_SEQUENCE_NUMBER``: the record itself must
come back first, which proves the position is still in the shard (it costs one record, not
a call). When a later record comes back first, the records in between expired before they
were read (:class:`Gap`). When nothing comes back (or Kinesis refuses the sequence number),
the shard's first record decides: none left, one at or before the position (the position
lies past the shard's records: a checkpoint of another stream), or a later one (a gap).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lake.stream.kinesis.client import IteratorExpired, KinesisClient
from lake.stream.kinesis.errors import KinesisServiceError
from lake.stream.kinesis.options import MAX_FETCH
from lake.stream.kinesis.positions import is_sequence, iterator_args

__all__ = ["Fetch", "Gap", "KinesisRow", "fetch_shard", "first_available"]

# (data, stream, shard_id, sequence_number, partition_key, approximate_arrival, millis_behind,
#  records_lost) — a loss row has data None and says how many records after its sequence
#  number expired unread (records_lost None: Kinesis cannot tell how many).
KinesisRow = tuple[
    bytes | None, str, str, str, str | None, datetime | None, int | None, int | None
]
_DRIVER_EMPTY_POLLS = 3
_PROBE_POLLS = 5


@dataclass(frozen=True)
class Gap:
    """Records of one shard that expired from the stream before they were read."""

    shard: str
    after: str  # the last position read before them
    first: str | None  # the first record still in the shard after them (None: none left)
    lost: int | None  # how many (None: sequence numbers are not contiguous, as on AWS)

    def row(self, stream: str, millis_behind: int | None) -> KinesisRow:
        """The loss row that reports this gap in a micro-batch."""
        return (None, stream, self.shard, self.after, None, None, millis_behind, self.lost)


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
    gap: Gap | None = None  # records after the start position expired unread
    beyond_end: str | None = None  # the start lies past the shard's records, which start here


def _arrival(record: dict[str, Any]) -> datetime:
    moment = record["ApproximateArrivalTimestamp"]  # epoch seconds (see KinesisClient)
    if isinstance(moment, int | float | str):
        return datetime.fromtimestamp(float(moment), tz=UTC)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _at(sequence: str) -> dict[str, Any]:
    return {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": sequence}


def first_available(client: KinesisClient, shard: str) -> tuple[str | None, bool]:
    """The shard's oldest record still in the stream: ``(sequence, known)``.

    ``(None, True)``: the shard holds no record. ``known`` is False when Kinesis kept
    answering with empty pages while reporting lag (its first record is still unknown).
    """
    iterator: str | None = client.shard_iterator(shard, ShardIteratorType="TRIM_HORIZON")
    for _ in range(_PROBE_POLLS):
        assert iterator is not None
        response = client.get_records(shard, iterator, 1)
        records = response.get("Records") or []
        if records:
            return str(records[0]["SequenceNumber"]), True
        iterator = response.get("NextShardIterator")
        if iterator is None or not response.get("MillisBehindLatest"):
            return None, True
    return None, False


class _ShardRead:
    """One :func:`fetch_shard` call's state."""

    def __init__(
        self,
        client: KinesisClient,
        shard: str,
        *,
        max_records: int | None,
        until_sequence: str | None,
        until_ms: int | None,
        fetch_limit: int,
        keep_limit: int | None,
        contiguous: bool,
    ) -> None:
        self.client = client
        self.shard = shard
        self.max_records = max_records
        self.end_int = int(until_sequence) if until_sequence is not None else None
        self.until_ms = until_ms
        self.fetch_limit = fetch_limit
        self.keep_limit = keep_limit
        self.contiguous = contiguous
        self.out = Fetch()
        self.expect: str | None = None  # the record that must come back first

    def gap(self, after: str, first: str | None) -> None:
        lost: int | None = None
        if self.contiguous:
            upper = int(first) - 1 if first is not None else None
            if self.end_int is not None:
                upper = self.end_int if upper is None else min(upper, self.end_int)
            if upper is not None:
                lost = max(0, upper - int(after))
                if lost == 0:
                    return  # only the position itself expired: nothing was lost
        self.out.gap = Gap(self.shard, after, first, lost)

    def resume_at(self, sequence: str) -> None:
        """``sequence`` did not come back first: find where the shard starts now."""
        first, known = first_available(self.client, self.shard)
        if not known:
            return
        if first is None:
            if self.end_int is not None:  # a replay: the batch's records are gone
                self.gap(sequence, None)
            return
        if int(first) <= int(sequence):
            self.out.beyond_end = first
            return
        self.gap(sequence, first)
        if self.end_int is None or int(first) <= self.end_int:
            self.consume(_at(first))

    def consume(self, start: dict[str, Any], iterator: str | None = None) -> None:
        """Read from ``iterator`` (else one opened as ``start`` says) until a stop condition."""
        out, stream = self.out, self.client.stream
        if iterator is None:
            iterator = self.client.shard_iterator(self.shard, **start)
        resume = start
        empty_polls = 0
        while True:
            limit = self.fetch_limit
            if self.max_records is not None:
                limit = max(1, min(self.fetch_limit, self.max_records - out.count))
            if self.expect is not None:
                limit = min(MAX_FETCH, limit + 1)  # the expected record comes back first
            try:
                response = self.client.get_records(self.shard, iterator, limit)
            except IteratorExpired:
                iterator = self.client.shard_iterator(self.shard, **resume)
                continue
            records = response.get("Records") or []
            out.millis_behind = response.get("MillisBehindLatest")
            stop = False
            for record in records:
                seq = str(record["SequenceNumber"])
                if self.expect is not None:
                    expected, self.expect = self.expect, None
                    if int(seq) == int(expected):
                        resume = iterator_args(seq)
                        continue
                    self.gap(expected, seq)
                if self.end_int is not None and int(seq) > self.end_int:
                    stop = True
                    break
                arrival = _arrival(record)
                if self.until_ms is not None and arrival.timestamp() * 1000 > self.until_ms:
                    out.reached_target = stop = True
                    break
                if not out.rows_dropped:
                    out.rows.append((
                        bytes(record["Data"]), stream, self.shard, seq,
                        str(record.get("PartitionKey", "")), arrival, out.millis_behind, None,
                    ))
                    if self.keep_limit is not None and len(out.rows) > self.keep_limit:
                        out.rows, out.rows_dropped = [], True
                out.count += 1
                out.last_sequence = seq
                resume = iterator_args(seq)
                if self.end_int is not None and int(seq) == self.end_int:
                    stop = True
                    break
            following = response.get("NextShardIterator")
            if following is None:
                out.shard_end = True
                break
            if stop or (self.max_records is not None and out.count >= self.max_records):
                break
            lagging = bool(out.millis_behind)
            if not records:
                if not lagging:
                    out.caught_up = True
                    break
                empty_polls += 1
                if self.end_int is None and empty_polls >= _DRIVER_EMPTY_POLLS:
                    break
            else:
                empty_polls = 0
                if len(records) < limit and not lagging:
                    out.caught_up = True
                    break
            iterator = following


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
    contiguous: bool = False,
) -> Fetch:
    """Read ``shard`` after ``position``; see the module docstring for when it stops.

    With ``until_sequence`` (a replay) empty responses are followed while the shard still
    reports lag; otherwise a few empty polls end the read. Past ``keep_limit`` records the
    rows are dropped and only positions are tracked (the driver reading ahead of a large
    backlog; the tasks then re-read). ``contiguous``: sequence numbers go 1, 2, 3… per shard
    (moto), so a gap's size can be counted.
    """
    run = _ShardRead(
        client, shard, max_records=max_records, until_sequence=until_sequence,
        until_ms=until_ms, fetch_limit=fetch_limit, keep_limit=keep_limit, contiguous=contiguous,
    )
    if not is_sequence(position):
        run.consume(iterator_args(position))
        return run.out
    run.expect = position
    try:
        iterator: str | None = client.shard_iterator(shard, **_at(position))
    except KinesisServiceError as exc:
        if exc.code != "InvalidArgumentException":  # AWS: the sequence number is not valid
            raise
        iterator = None
    if iterator is not None:
        run.consume(_at(position), iterator)
    if run.expect is not None:
        run.expect = None
        run.resume_at(position)
    return run.out
