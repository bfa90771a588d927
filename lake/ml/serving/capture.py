"""Data capture, as SageMaker's: a sampled fraction of requests and responses, written off the request path.

The request thread only draws a random number and, when sampled, appends one
:class:`CaptureRecord` to an in-memory buffer. A background thread flushes the buffer to a
:class:`CaptureSink` every ``flush_seconds``, as soon as ``flush_records`` are waiting, and on
:meth:`DataCapture.close`. A failing sink never fails a request: the batch is kept for the next
flush (up to ``max_buffer`` records; beyond that the oldest are dropped), and every failure
and drop is counted and logged.

:class:`DeltaCaptureSink` appends to a Delta table with ``deltalake.write_deltalake`` (no
Spark), partitioned by ``event_date``; ``DeltaCaptureSink.for_profile`` places it in the lake
with the storage profile's options.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pyarrow as pa

    from lake.storage import StorageProfile

__all__ = ["CAPTURE_TABLE_PREFIX", "CaptureRecord", "CaptureSink", "DataCapture", "DeltaCaptureSink",
           "capture_schema"]

log = logging.getLogger(__name__)

CAPTURE_TABLE_PREFIX = "ml/capture"


@dataclass(frozen=True)
class CaptureRecord:
    """One captured invocation: when, which id, which model version, the request and the response."""

    event_time: datetime
    inference_id: str
    endpoint: str
    model_name: str
    model_version: str
    input_content_type: str
    input_data: str
    output_content_type: str
    output_data: str
    records: int

    @property
    def event_date(self) -> Any:
        return self.event_time.date()


class CaptureSink(Protocol):
    """Where captured records go; ``write`` raises on failure (the capture keeps the batch)."""

    def write(self, records: Sequence[CaptureRecord]) -> None: ...


def capture_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema([
        pa.field("event_time", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("event_date", pa.date32(), nullable=False),
        pa.field("inference_id", pa.string(), nullable=False),
        pa.field("endpoint", pa.string(), nullable=False),
        pa.field("model_name", pa.string(), nullable=False),
        pa.field("model_version", pa.string(), nullable=False),
        pa.field("input_content_type", pa.string()),
        pa.field("input_data", pa.string()),
        pa.field("output_content_type", pa.string()),
        pa.field("output_data", pa.string()),
        pa.field("records", pa.int32()),
    ])


class DeltaCaptureSink:
    """Appends captured records to the Delta table at ``table_uri`` (created on the first write)."""

    def __init__(self, table_uri: str, storage_options: Mapping[str, str] | None = None) -> None:
        self.table_uri = table_uri
        self.storage_options = dict(storage_options or {})

    @classmethod
    def for_profile(cls, profile: StorageProfile, endpoint: str, *, path: str | None = None) -> DeltaCaptureSink:
        """The sink at ``<lake>/ml/capture/<endpoint>`` (or ``path``, relative to the lake or absolute)."""
        uri = profile.resolve(path or f"{CAPTURE_TABLE_PREFIX}/{endpoint}")
        return cls(uri, profile.storage_options())

    def write(self, records: Sequence[CaptureRecord]) -> None:
        import pyarrow as pa
        from deltalake import write_deltalake

        rows = [{**asdict(r), "event_date": r.event_date} for r in records]
        table = pa.Table.from_pylist(rows, schema=capture_schema())
        write_deltalake(self.table_uri, table, mode="append", partition_by=["event_date"],
                        storage_options=self.storage_options or None)


class DataCapture:
    """Samples invocations into a buffer and flushes it to ``sink`` from a background thread."""

    def __init__(self, sink: CaptureSink, *, endpoint: str, fraction: float = 0.1, flush_seconds: float = 5.0,
                 flush_records: int = 1000, max_buffer: int = 100_000, seed: int | None = None) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"capture fraction must be within [0, 1], got {fraction}")
        self.sink = sink
        self.endpoint = endpoint
        self.fraction = fraction
        self.flush_seconds = flush_seconds
        self.flush_records = flush_records
        self.max_buffer = max_buffer
        self._random = random.Random(seed)
        self._buffer: list[CaptureRecord] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sampled = 0
        self.written = 0
        self.failed_flushes = 0
        self.dropped = 0
        self.last_error: str | None = None

    def offer(self, *, model_name: str, model_version: int | str, input_content_type: str, input_data: bytes | str,
              output_data: str, records: int, inference_id: str | None = None,
              output_content_type: str = "application/json") -> bool:
        """Called per invocation on the request path: buffer it if sampled (cheap; never raises)."""
        try:
            if self.fraction <= 0.0 or (self.fraction < 1.0 and self._random.random() >= self.fraction):
                return False
            text = input_data.decode("utf-8", "replace") if isinstance(input_data, bytes) else input_data
            record = CaptureRecord(
                event_time=datetime.now(UTC), inference_id=inference_id or uuid.uuid4().hex, endpoint=self.endpoint,
                model_name=model_name, model_version=str(model_version), input_content_type=input_content_type,
                input_data=text, output_content_type=output_content_type, output_data=output_data, records=records,
            )
            with self._lock:
                self._buffer.append(record)
                self.sampled += 1
                overflow = len(self._buffer) - self.max_buffer
                if overflow > 0:
                    del self._buffer[:overflow]
                    self.dropped += overflow
                full = len(self._buffer) >= self.flush_records
            if full:
                self._wake.set()
            return True
        except Exception:  # capture must never fail a request
            log.exception("data capture: could not buffer an invocation")
            return False

    @property
    def buffered(self) -> int:
        with self._lock:
            return len(self._buffer)

    def flush(self) -> int:
        """Write the buffered records now; returns how many were written (0 on a sink failure)."""
        with self._flush_lock:
            with self._lock:
                batch, self._buffer = self._buffer, []
            if not batch:
                return 0
            try:
                self.sink.write(batch)
            except Exception as exc:
                self.failed_flushes += 1
                self.last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                log.warning("data capture: writing %d records failed (kept for the next flush): %s", len(batch),
                            self.last_error)
                with self._lock:
                    self._buffer[:0] = batch
                    overflow = len(self._buffer) - self.max_buffer
                    if overflow > 0:
                        del self._buffer[:overflow]
                        self.dropped += overflow
                return 0
            self.written += len(batch)
            return len(batch)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"capture-{self.endpoint}", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            if not self._stop.is_set():
                self.flush()

    def close(self, timeout: float = 30.0) -> None:
        """Stop the flusher and write what is left (one final attempt)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.flush()

    def stats(self) -> dict[str, Any]:
        return {"fraction": self.fraction, "sampled": self.sampled, "written": self.written,
                "buffered": self.buffered, "failed_flushes": self.failed_flushes, "dropped": self.dropped,
                "last_error": self.last_error}
