"""``spark.readStream.format("kinesis")``: a PySpark Python streaming data source.

Offsets are per-shard positions (see :mod:`positions`) plus the stream's identity (see
:mod:`offsets`) and live in the query checkpoint. Every ``latestOffset`` checks them against
the live stream — same ARN and creation time, every checkpointed shard still listed (or read
to its end), no position past a shard's records — and fails with
:class:`CheckpointMismatchError` otherwise; records that expired before they were read fail
the query with :class:`KinesisDataLossError`, or with ``failOnDataLoss=false`` are reported
in the batch as a loss row (``data`` null, ``records_lost``).
``latestOffset`` reads ahead on the driver to find where the next micro-batch ends (at most
``maxRecordsPerTrigger`` records, shared across the readable shards) and keeps what it read;
``partitions`` plans one partition per shard and hands those records to the task, so the
stream is read once. A replayed batch (after a crash) has no cached records: its tasks
re-read exactly ``(start, end]`` of each shard with ``AFTER_SEQUENCE_NUMBER``, which yields
the same records because Kinesis records never change.

Resharding: closed parents are read to their ``EndingSequenceNumber`` before any of their
children, and shards that appear later are read from ``TRIM_HORIZON``. ``latest`` is
resolved to ``AT_TIMESTAMP:<now>`` in the first batch (which reads nothing), so replays of
that batch are deterministic too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
from pyspark.sql.datasource import DataSource, DataSourceStreamReader, InputPartition
from pyspark.sql.streaming.datasource import (
    ReadAllAvailable,
    ReadLimit,
    ReadMaxRows,
    SupportsTriggerAvailableNow,
)

from lake.stream.kinesis.client import KinesisClient
from lake.stream.kinesis.errors import CheckpointMismatchError, KinesisDataLossError
from lake.stream.kinesis.fetch import Fetch, Gap, KinesisRow, fetch_shard
from lake.stream.kinesis.offsets import SourceOffset, StreamIdentity, identity_difference
from lake.stream.kinesis.options import KinesisOptions
from lake.stream.kinesis.positions import (
    LATEST,
    TRIM_HORIZON,
    at_timestamp,
    initial_position,
    is_sequence,
)
from lake.stream.kinesis.shards import (
    ShardInfo,
    checkpoint_shard_problem,
    finished_by_position,
    parents_finished,
    parse_shards,
)

__all__ = [
    "SOURCE_ARROW_SCHEMA",
    "SOURCE_SCHEMA",
    "KinesisDataSource",
    "KinesisPartition",
    "KinesisStreamReader",
]

SOURCE_SCHEMA = (
    "data binary, stream string, shard_id string, sequence_number string, "
    "partition_key string, approximate_arrival_timestamp timestamp, millis_behind_latest bigint, "
    "records_lost bigint"
)
SOURCE_ARROW_SCHEMA = pa.schema([
    ("data", pa.binary()),
    ("stream", pa.string()),
    ("shard_id", pa.string()),
    ("sequence_number", pa.string()),
    ("partition_key", pa.string()),
    ("approximate_arrival_timestamp", pa.timestamp("us", tz="UTC")),
    ("millis_behind_latest", pa.int64()),
    ("records_lost", pa.int64()),
])
_CACHE_LIMIT = 200_000  # records per shard the driver hands to a task instead of re-reading
_ARROW_BATCH = 10_000


class KinesisPartition(InputPartition):
    """Records ``(start, end]`` of one shard.

    ``payload`` holds the driver's read-ahead as an Arrow IPC stream when it was kept; a
    partition without one (a replay after a restart) re-reads the range from Kinesis.
    """

    def __init__(self, shard: str, start: str, end: str, payload: bytes | None = None):
        super().__init__(shard)
        self.shard = shard
        self.start = start
        self.end = end
        self.payload = payload

    def __repr__(self) -> str:
        cached = "cached" if self.payload is not None else "replay"
        return f"KinesisPartition({self.shard}, ({self.start}, {self.end}], {cached})"


class KinesisDataSource(DataSource):
    """The ``kinesis`` streaming format; see :class:`KinesisOptions` for its options."""

    @classmethod
    def name(cls) -> str:
        return "kinesis"

    def schema(self) -> str:
        return SOURCE_SCHEMA

    def streamReader(self, schema: Any) -> DataSourceStreamReader:
        return KinesisStreamReader(KinesisOptions.from_options(self.options))


class KinesisStreamReader(DataSourceStreamReader, SupportsTriggerAvailableNow):
    """Driver-side planning (offsets, partitions) and task-side reading of one stream."""

    def __init__(self, options: KinesisOptions) -> None:
        self.options = options
        self._initial = initial_position(options.starting_position, options.starting_timestamp_ms)
        self._client: KinesisClient | None = None
        self._cache: dict[tuple[str, str, str], list[KinesisRow]] = {}
        self._until_ms: int | None = None
        self._planned: dict | None = None  # the end offset this reader's latestOffset returned

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_client"] = None
        state["_cache"] = {}
        return state

    @property
    def client(self) -> KinesisClient:
        if self._client is None:
            self._client = KinesisClient(self.options)
        return self._client

    # -------------------------------------------------------------- driver side
    def _live(self) -> StreamIdentity:
        return StreamIdentity.from_summary(self.client.describe_summary())

    def _mismatch(self, what: str) -> CheckpointMismatchError:
        return CheckpointMismatchError(self.options.checkpoint, self.options.stream, what)

    def _check(self, offset: SourceOffset, shards: Mapping[str, ShardInfo]) -> StreamIdentity:
        """The live stream's identity, once ``offset`` is known to belong to it."""
        live = self._live()
        what = identity_difference(offset.stream, live) if offset.stream is not None else None
        what = what or checkpoint_shard_problem(
            offset.positions, offset.finished, shards, legacy=offset.stream is None
        )
        if what:
            raise self._mismatch(what)
        return live

    def _judge(self, sid: str, position: str, got: Fetch) -> Gap | None:
        """Fail on a position past the shard's records; fail on or return a loss."""
        if got.beyond_end is not None:
            raise self._mismatch(
                f"shard {sid}: the checkpoint's position {position} is past the shard's end "
                f"(no record at or after it; the shard's records start at {got.beyond_end})"
            )
        gap = got.gap
        if gap is not None and self.options.fail_on_data_loss:
            raise KinesisDataLossError(self.options.stream, sid, gap.after, gap.first, gap.lost)
        return gap

    def initialOffset(self) -> dict:
        shards = parse_shards(self.client.list_shards())
        positions = {sid: self._initial for sid in shards}
        return SourceOffset(positions, self._live()).to_json()

    def getDefaultReadLimit(self) -> ReadLimit:
        n = self.options.max_records_per_trigger
        return ReadMaxRows(n) if n else ReadAllAvailable()

    def prepareForTriggerAvailableNow(self) -> None:
        """Fix the target: records that arrive after this moment are left for a later run."""
        self._until_ms = int(time.time() * 1000)

    def latestOffset(self, start: dict, limit: ReadLimit) -> dict:
        shards = parse_shards(self.client.list_shards())
        offset = SourceOffset.from_json(start)
        live = self._check(offset, shards)
        positions = offset.positions
        end = {sid: pos for sid, pos in positions.items() if sid in shards}
        now_ms = int(time.time() * 1000)
        for sid in shards:
            if sid not in end:
                end[sid] = TRIM_HORIZON  # a shard created after the query started
            elif end[sid] == LATEST:
                end[sid] = at_timestamp(now_ms)  # resolve now; this batch reads nothing
        budget = limit.max_rows if isinstance(limit, ReadMaxRows) else None
        self._cache = {}
        begin = dict(end)
        rows: dict[str, list[KinesisRow] | None] = {}
        finished = {
            sid for sid, info in shards.items()
            if sid in offset.finished or finished_by_position(info, end[sid])
        }
        gave: set[str] = set()  # shards that returned records in this call
        idle: set[str] = set()  # shards with nothing more to give in this call
        while budget is None or budget > 0:
            ready = [
                sid for sid, info in shards.items()
                if sid not in finished and sid not in idle and positions.get(sid) != LATEST
                and parents_finished(info, shards, finished - gave)
            ]
            if not ready:
                break
            share = None if budget is None else max(1, budget // len(ready))
            progress = False
            for sid, got in self._read_ahead(ready, end, share).items():
                gap = self._judge(sid, end[sid], got)
                if got.last_sequence is not None:
                    kept = rows.setdefault(sid, [])
                    fits = kept is not None and len(kept) + got.count + 1 <= _CACHE_LIMIT
                    if kept is not None and fits and not got.rows_dropped:
                        if gap is not None:
                            kept.append(gap.row(self.options.stream, got.millis_behind))
                        kept.extend(got.rows)
                    else:
                        rows[sid] = None  # the tasks re-read (and find the same gap)
                    end[sid] = got.last_sequence
                    gave.add(sid)
                    progress = True
                    if budget is not None:
                        budget -= got.count
                if self._at_end(shards[sid], end[sid], got):
                    finished.add(sid)
                    progress = progress or sid not in gave
                if share is None or got.count < share or got.caught_up or got.reached_target:
                    idle.add(sid)
            if not progress:
                break
        for sid, cached in rows.items():
            if cached is not None:
                self._cache[(sid, begin[sid], end[sid])] = cached
        result = SourceOffset(end, live, frozenset(finished & set(end))).to_json()
        self._planned = result
        return result

    def _read_ahead(
        self, ready: list[str], end: Mapping[str, str], share: int | None
    ) -> dict[str, Fetch]:
        def one(sid: str) -> Fetch:
            return fetch_shard(
                self.client, sid, end[sid], max_records=share, until_ms=self._until_ms,
                fetch_limit=min(self.options.max_records_per_fetch, share or _CACHE_LIMIT),
                keep_limit=_CACHE_LIMIT, contiguous=self.options.contiguous_sequence_numbers,
            )

        if len(ready) == 1:
            return {ready[0]: one(ready[0])}
        with ThreadPoolExecutor(max_workers=min(8, len(ready))) as pool:
            return dict(zip(ready, pool.map(one, ready), strict=True))

    @staticmethod
    def _at_end(info: ShardInfo, position: str, got: Fetch) -> bool:
        if not info.closed:
            return False
        return got.shard_end or got.caught_up or finished_by_position(info, position)

    def partitions(self, start: dict, end: dict) -> list[InputPartition]:
        first = SourceOffset.from_json(start).positions
        last_offset = SourceOffset.from_json(end)
        if end != self._planned and last_offset.stream is not None:
            # A batch planned by an earlier run (replayed after a restart): same stream?
            what = identity_difference(last_offset.stream, self._live())
            if what:
                raise self._mismatch(what)
        parts: list[InputPartition] = []
        for sid, last in sorted(last_offset.positions.items()):
            begin = first.get(sid, self._initial if self._initial != LATEST else TRIM_HORIZON)
            if not is_sequence(last) or begin == last:
                continue
            rows = self._cache.pop((sid, begin, str(last)), None)
            payload = None if rows is None else _to_ipc(rows)
            parts.append(KinesisPartition(sid, begin, str(last), payload))
        return parts

    def commit(self, end: dict) -> None:
        positions = SourceOffset.from_json(end).positions
        self._cache = {k: v for k, v in self._cache.items() if positions.get(k[0]) == k[1]}

    # ---------------------------------------------------------------- task side
    def read(self, partition: InputPartition) -> Iterator[pa.RecordBatch]:
        assert isinstance(partition, KinesisPartition)
        if partition.payload is not None:
            yield from pa.ipc.open_stream(partition.payload)
            return
        shard, start, end = partition.shard, partition.start, partition.end
        got = fetch_shard(
            self.client, shard, start, until_sequence=end,
            fetch_limit=self.options.max_records_per_fetch,
            contiguous=self.options.contiguous_sequence_numbers,
        )
        reached = got.last_sequence
        if got.beyond_end is None and reached is None and got.gap is None and not is_sequence(start):
            got.gap = Gap(shard, start, None, None)  # nothing of the range is left
        covered = (reached is not None and int(reached) == int(end)) or (
            reached is None and got.gap is not None
        )
        if got.beyond_end is None and not covered:
            raise self._mismatch(
                f"shard {shard} ends at {reached or start}, before the checkpoint's position {end}"
            )
        gap = self._judge(shard, start, got)
        if gap is not None:
            yield _to_batch([gap.row(self.options.stream, got.millis_behind)])
        for offset in range(0, len(got.rows), _ARROW_BATCH):
            yield _to_batch(got.rows[offset:offset + _ARROW_BATCH])


def _to_ipc(rows: list[KinesisRow]) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, SOURCE_ARROW_SCHEMA) as writer:
        for offset in range(0, len(rows), _ARROW_BATCH):
            writer.write_batch(_to_batch(rows[offset:offset + _ARROW_BATCH]))
    return bytes(sink.getvalue().to_pybytes())


def _to_batch(rows: list[KinesisRow]) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True))  # tuples: pa.array is slow on them, pass lists
    arrays = [
        pa.array(list(col), type=f.type)
        for col, f in zip(columns, SOURCE_ARROW_SCHEMA, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=SOURCE_ARROW_SCHEMA)
