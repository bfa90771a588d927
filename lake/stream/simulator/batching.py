"""Packing records into PutRecords calls within the Kinesis API limits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from lake.stream.simulator.errors import RecordTooLargeError, SimulatorConfigError

__all__ = [
    "MAX_BYTES_PER_CALL",
    "MAX_BYTES_PER_RECORD",
    "MAX_RECORDS_PER_CALL",
    "Batcher",
    "Entry",
    "pack_batches",
]

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024  # data + partition keys of the whole request
MAX_BYTES_PER_RECORD = 1024 * 1024  # data + partition key of one record
_MAX_PARTITION_KEY_CHARS = 256


@dataclass(frozen=True)
class Entry:
    """One PutRecords entry; ``tag`` is the caller's handle, returned with the outcome."""

    data: bytes
    partition_key: str
    tag: Any = None

    @property
    def size(self) -> int:
        """Bytes Kinesis counts against its limits: data plus the UTF-8 partition key."""
        return len(self.data) + len(self.partition_key.encode())

    def request(self) -> dict[str, Any]:
        return {"Data": self.data, "PartitionKey": self.partition_key}


def _check(entry: Entry, max_record_bytes: int) -> None:
    if not 1 <= len(entry.partition_key) <= _MAX_PARTITION_KEY_CHARS:
        raise SimulatorConfigError(
            "partition_key", entry.partition_key, f"1 to {_MAX_PARTITION_KEY_CHARS} characters"
        )
    if entry.size > max_record_bytes:
        raise RecordTooLargeError(entry.partition_key, entry.size, max_record_bytes)


class Batcher:
    """Accumulates entries into one request that stays within the count and byte limits."""

    def __init__(
        self,
        max_records: int = MAX_RECORDS_PER_CALL,
        max_bytes: int = MAX_BYTES_PER_CALL,
        max_record_bytes: int = MAX_BYTES_PER_RECORD,
    ) -> None:
        if not 1 <= max_records <= MAX_RECORDS_PER_CALL:
            raise SimulatorConfigError("max_records", max_records, f"1..{MAX_RECORDS_PER_CALL}")
        if not 1 <= max_bytes <= MAX_BYTES_PER_CALL:
            raise SimulatorConfigError("max_bytes", max_bytes, f"1..{MAX_BYTES_PER_CALL}")
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.max_record_bytes = min(max_record_bytes, max_bytes)
        self._entries: list[Entry] = []
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int:
        return self._bytes

    @property
    def full(self) -> bool:
        return len(self._entries) >= self.max_records or self._bytes >= self.max_bytes

    def fits(self, entry: Entry) -> bool:
        """True when ``entry`` can join the current request without breaking a limit."""
        return (
            len(self._entries) < self.max_records and self._bytes + entry.size <= self.max_bytes
        )

    def add(self, entry: Entry) -> list[Entry] | None:
        """Add ``entry``; returns the previous request first if ``entry`` did not fit in it."""
        _check(entry, self.max_record_bytes)
        ready = None if self.fits(entry) else self.take()
        self._entries.append(entry)
        self._bytes += entry.size
        return ready

    def take(self) -> list[Entry]:
        """Remove and return the accumulated request."""
        entries, self._entries, self._bytes = self._entries, [], 0
        return entries


def pack_batches(
    entries: Iterable[Entry],
    max_records: int = MAX_RECORDS_PER_CALL,
    max_bytes: int = MAX_BYTES_PER_CALL,
) -> Iterator[list[Entry]]:
    """Split ``entries`` (in order) into requests of ≤ ``max_records`` and ≤ ``max_bytes``."""
    batcher = Batcher(max_records, max_bytes)
    for entry in entries:
        ready = batcher.add(entry)
        if ready:
            yield ready
    if len(batcher):
        yield batcher.take()
