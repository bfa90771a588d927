"""One simulator run: generate, pace, batch, send, record ground truth, summarise."""

from __future__ import annotations

import time
from array import array
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from lake.errors import LakeforgeError
from lake.stream.simulator.base import format_event_time
from lake.stream.simulator.batching import Batcher, Entry
from lake.stream.simulator.config import SimulatorConfig
from lake.stream.simulator.emitter import Emission, Emitter
from lake.stream.simulator.ground_truth import GroundTruthWriter
from lake.stream.simulator.heart import bayes_optimal_auc
from lake.stream.simulator.metrics import roc_auc
from lake.stream.simulator.producer import KinesisProducer, PutResult, make_kinesis_client
from lake.stream.simulator.ratelimit import TokenBucket

__all__ = ["SimulationProgress", "SimulationSummary", "simulate"]


@dataclass(frozen=True)
class SimulationProgress:
    """Where a running simulation is, reported after every PutRecords request."""

    generated: int
    sent: int
    failed: int
    elapsed_s: float
    total: int | None
    duration_s: float | None


@dataclass
class SimulationSummary:
    """What a run sent. Counts are of entries Kinesis accepted unless named otherwise.

    ``sent = valid + duplicates + malformed``; ``valid`` is distinct valid records (the
    ground-truth lines); ``late``/``missing``/``outliers``/``drifted``/``drift_field_records``
    count among them; ``failed`` entries were rejected after every retry.
    """

    generator: str
    stream: str
    seed: int
    start_time: str
    shards: int
    stream_created: bool
    generated: int = 0
    sent: int = 0
    valid: int = 0
    duplicates: int = 0
    malformed: int = 0
    failed: int = 0
    retried: int = 0
    retried_calls: int = 0
    calls: int = 0
    late: int = 0
    missing: int = 0
    outliers: int = 0
    drifted: int = 0
    drift_field_records: int = 0
    positives: int | None = None
    label_rate: float | None = None
    bayes_optimal_auc: float | None = None
    bayes_auc_sample: float | None = None
    per_shard: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    effective_rate: float = 0.0
    ground_truth: str | None = None
    error: str | None = None
    failure: LakeforgeError | None = field(default=None, repr=False, compare=False)  # the error behind ``error``

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("failure")
        return out


class _Run:
    """One run's sending and bookkeeping: batches, counters, ground truth, duplicates."""

    def __init__(
        self,
        config: SimulatorConfig,
        summary: SimulationSummary,
        producer: KinesisProducer,
        truth: GroundTruthWriter | None,
        on_progress: Callable[[SimulationProgress], None] | None,
        clock: Callable[[], float],
    ) -> None:
        self.config = config
        self.summary = summary
        self.producer = producer
        self.truth = truth
        self.on_progress = on_progress
        self.clock = clock
        self.started = clock()
        self.batcher = Batcher()
        self.oldest = self.started  # when the first entry of the open batch arrived
        self.per_shard: Counter[str] = Counter()
        self.p_true = array("d")
        self.labels = array("b")
        self._copies: dict[str, list[int]] = {}  # record id → [copies unresolved, written]
        # One sender thread keeps the wire order while the next batch is being generated.
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lake-simulate")
        self._in_flight: deque[Future[PutResult]] = deque()

    def age(self) -> float:
        """Seconds the open batch's first entry has waited (0 when the batch is empty)."""
        return self.clock() - self.oldest if len(self.batcher) else 0.0

    def add(self, emissions: list[Emission]) -> None:
        for em in emissions:
            ready = self.batcher.add(Entry(em.data, em.partition_key, em))
            if ready:
                self.send(ready)
            if len(self.batcher) == 1:
                self.oldest = self.clock()
            if self.batcher.full:
                self.flush()

    def flush(self) -> None:
        if len(self.batcher):
            self.send(self.batcher.take())

    def send(self, entries: list[Entry]) -> None:
        """Hand a request to the sender thread; collect results beyond the queue depth."""
        if self.summary.error is not None:  # never attempted after a request failed wholesale
            self.summary.failed += len(entries)
            return
        self._in_flight.append(self._sender.submit(self.producer.put, entries))
        while len(self._in_flight) > self.config.send_queue:
            self._collect()

    def drain(self) -> None:
        """Send the open batch and wait for every request in flight."""
        self.flush()
        while self._in_flight:
            self._collect()

    def close(self) -> None:
        """Stop the sender thread (requests not yet started are cancelled)."""
        self._sender.shutdown(wait=True, cancel_futures=True)
        if self.truth is not None:
            self.truth.close()

    def _collect(self) -> None:
        self.record(self._in_flight.popleft().result())
        if self.on_progress is not None:
            s = self.summary
            elapsed = self.clock() - self.started
            self.on_progress(
                SimulationProgress(
                    s.generated, s.sent, s.failed, elapsed,
                    self.config.record_limit, self.config.duration,
                )
            )

    def _first_acceptance(self, em: Emission, result: bool) -> bool:
        """Resolve one copy of a valid record; True when it is the first one accepted."""
        assert em.truth is not None and em.record_id is not None
        if not em.truth["duplicates"]:
            return result
        state = self._copies.setdefault(em.record_id, [1 + em.truth["duplicates"], 0])
        state[0] -= 1
        first = result and not state[1]
        if first:
            state[1] = 1
        if state[0] == 0:
            del self._copies[em.record_id]
        return first

    def record(self, result: PutResult) -> None:
        s = self.summary
        s.calls += result.calls
        s.retried += result.retried_records
        s.retried_calls += result.retried_calls
        self.per_shard.update(result.per_shard)
        for accepted in result.accepted:
            em: Emission = accepted.entry.tag
            s.sent += 1
            if em.kind == "malformed":
                s.malformed += 1
            elif self._first_acceptance(em, True):
                self._count_valid(em, accepted.shard_id, accepted.sequence_number)
            else:
                s.duplicates += 1
        for rejected in result.rejected:
            em = rejected.entry.tag
            s.failed += 1
            if em.kind != "malformed":
                self._first_acceptance(em, False)
        if result.error is not None and s.error is None:
            s.error = str(result.error)
            s.failure = result.error

    def _count_valid(self, em: Emission, shard_id: str, sequence_number: str) -> None:
        s, truth = self.summary, em.truth
        assert truth is not None
        s.valid += 1
        s.late += truth["late"]
        s.missing += bool(truth["missing"])
        s.outliers += truth.get("outlier") is not None
        s.drifted += truth["drift_string"] is not None
        s.drift_field_records += truth["drift_field"]
        if "p_true" in truth:
            self.p_true.append(truth["p_true"])
            self.labels.append(truth["label"])
        if self.truth is not None:
            self.truth.write(truth, shard_id, sequence_number)

    def finish(self) -> SimulationSummary:
        s, config = self.summary, self.config
        elapsed = self.clock() - self.started
        s.per_shard = dict(sorted(self.per_shard.items()))
        s.elapsed_s = round(elapsed, 3)
        s.effective_rate = round(s.sent / elapsed, 1) if elapsed > 0 else 0.0
        if config.generator == "heart":
            s.bayes_optimal_auc = round(bayes_optimal_auc(config.class_balance), 4)
            if self.labels:
                s.positives = int(sum(self.labels))
                s.label_rate = round(s.positives / len(self.labels), 4)
                auc = roc_auc(self.p_true, self.labels)
                s.bayes_auc_sample = None if auc != auc else round(auc, 4)  # NaN: one class only
        return s


def simulate(
    config: SimulatorConfig,
    *,
    client: Any = None,
    boto3_kwargs: dict[str, Any] | None = None,
    on_progress: Callable[[SimulationProgress], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> SimulationSummary:
    """Run the simulator: create the stream if needed, send every record, summarise.

    Pass a boto3 Kinesis ``client`` or the ``boto3_kwargs`` of a storage profile
    (``profile.boto3_kwargs()``). Stops early (``summary.error`` set) when Kinesis keeps
    failing a whole request; entries it rejected after all retries count as ``failed``.
    """
    config = config.resolved()
    assert config.seed is not None and config.start_time is not None
    if client is None:
        client = make_kinesis_client(boto3_kwargs or {})
    producer = KinesisProducer(client, config.stream, retry=config.retry, sleep=sleep)
    info = producer.ensure_stream(config.shards)
    emitter = Emitter(config)
    summary = SimulationSummary(
        generator=config.generator,
        stream=config.stream,
        seed=config.seed,
        start_time=format_event_time(config.start_time),
        shards=info.shards,
        stream_created=info.created,
        ground_truth=str(config.ground_truth) if config.ground_truth else None,
    )
    truth = GroundTruthWriter(config.ground_truth) if config.ground_truth else None
    bucket = TokenBucket(config.rate, clock=clock, sleep=sleep)
    run = _Run(config, summary, producer, truth, on_progress, clock)
    limit = config.record_limit
    try:
        index = 0
        while summary.error is None:
            if limit is not None and index >= limit:
                break
            if config.duration is not None and clock() - run.started >= config.duration:
                break
            if len(run.batcher) and run.age() + bucket.wait_time() >= config.linger:
                run.flush()  # don't hold a partial batch while waiting for the next token
            bucket.acquire()
            run.add(emitter.emit(index))
            index += 1
            summary.generated = index
            if run.age() >= config.linger:
                run.flush()
        if summary.error is None:
            run.add(emitter.drain())
        run.drain()
    finally:
        run.close()
    return run.finish()
