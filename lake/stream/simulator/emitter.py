"""Turns generated records into wire emissions, applying the data-quality knobs.

Per record slot ``i`` (event time ``start + i / rate``) the emitter decides, from random
streams seeded by the run's seed, whether the slot is malformed bytes, which feature
fields go missing, whether the record carries the drift field and a string-typed value,
whether it arrives late, and whether it will be sent a second time. Each concern draws
from its own stream so the records themselves do not change when a knob is turned.
"""

from __future__ import annotations

import heapq
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from lake.stream.simulator.base import GeneratorOptions, RecordGenerator, format_event_time
from lake.stream.simulator.config import SimulatorConfig
from lake.stream.simulator.generators import make_generator

__all__ = ["Emission", "Emitter", "iter_emissions"]

_ID_NAMESPACE = uuid.UUID("6f1c1d52-3c8e-4f7b-9a51-6b7a2d1e0c11")
_MALFORMED_KINDS = ("truncated_json", "binary", "csv_line", "xml")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

EmissionKind = Literal["valid", "duplicate", "malformed"]


@dataclass(frozen=True)
class Emission:
    """One entry for the wire; ``truth`` is the ground-truth line of a valid record."""

    index: int
    kind: EmissionKind
    partition_key: str
    data: bytes
    record_id: str | None = None
    truth: dict[str, Any] | None = None


def _dumps(record: dict[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


class Emitter:
    """Emissions of a resolved config, slot by slot (call :meth:`emit` with 0, 1, 2, …)."""

    def __init__(self, config: SimulatorConfig, generator: RecordGenerator | None = None):
        if config.seed is None or config.start_time is None:
            config = config.resolved()
        assert config.seed is not None and config.start_time is not None
        self.config = config
        options = GeneratorOptions(
            seed=config.seed,
            class_balance=config.class_balance,
            labeled=config.labeled,
            outlier_rate=config.outlier_rate,
            entities=config.entities,
        )
        self.generator = generator or make_generator(config.generator, options)
        self._start_ms = int((config.start_time - _EPOCH) / timedelta(milliseconds=1))
        self._spacing_ms = 1000.0 / config.rate if config.rate > 0 else 1.0
        self._lateness_ms = max(1, round(config.lateness * 1000))
        self._slot = options.python_rng(101)  # fixed number of draws per slot
        self._missing = options.python_rng(102)
        self._malformed = options.python_rng(103)
        self._drift = options.python_rng(104)
        self._late = options.python_rng(105)
        self._duplicate = options.python_rng(106)
        self._pending: list[tuple[int, int, Emission]] = []  # (due slot, order, emission)
        self._order = 0

    def record_id(self, index: int) -> str:
        """The unique id of slot ``index`` (stable for a given generator and seed)."""
        return str(uuid.uuid5(_ID_NAMESPACE, f"{self.config.generator}:{self.config.seed}:{index}"))

    def nominal_ms(self, index: int) -> int:
        """Event time of slot ``index`` before lateness, in epoch milliseconds."""
        return self._start_ms + round(index * self._spacing_ms)

    def emit(self, index: int) -> list[Emission]:
        """Duplicates now due, then slot ``index``'s own emission."""
        out = self._due(index)
        out.append(self._slot_emission(index))
        return out

    def drain(self) -> list[Emission]:
        """Every duplicate still scheduled (call once after the last slot)."""
        return [item[2] for item in sorted(self._pending)] if self._pending else []

    def _due(self, index: int) -> list[Emission]:
        due = []
        while self._pending and self._pending[0][0] <= index:
            due.append(heapq.heappop(self._pending)[2])
        return due

    def _slot_emission(self, index: int) -> Emission:
        cfg = self.config
        u_malformed, u_late, u_duplicate, u_string = (self._slot.random() for _ in range(4))
        nominal_ms = self.nominal_ms(index)
        nominal = _EPOCH + timedelta(milliseconds=nominal_ms)
        record_id = self.record_id(index)
        generated = self.generator.next_record(index, record_id, nominal)
        record = generated.record
        nominal_text = record["event_time"]
        missing = self._apply_missing(record)
        if u_malformed < cfg.malformed_rate:
            return Emission(index, "malformed", generated.partition_key, self._malform(record))

        drift_field = cfg.drift_after is not None and index >= cfg.drift_after
        drift_string = None
        if drift_field:
            record[self.generator.drift_field] = self.generator.drift_value(record, self._drift)
            field = self.generator.drift_string_field
            if u_string < cfg.drift_string_rate and record.get(field) is not None:
                record[field] = self.generator.drift_string(record[field], self._drift)
                drift_string = field

        lateness_ms = 0
        if u_late < cfg.late_rate:
            lateness_ms = self._late.randint(1, self._lateness_ms)
            late = _EPOCH + timedelta(milliseconds=nominal_ms - lateness_ms)
            record["event_time"] = format_event_time(late)

        duplicates = 1 if u_duplicate < cfg.duplicate_rate else 0
        truth = {
            "record_id": record_id,
            "index": index,
            "event_time": record["event_time"],
            "nominal_time": nominal_text,
            "partition_key": generated.partition_key,
            "late": lateness_ms > 0,
            "lateness_ms": lateness_ms,
            "missing": missing,
            "drift_field": drift_field,
            "drift_string": drift_string,
            "duplicates": duplicates,
            **generated.truth,
            "record": record,
        }
        emission = Emission(
            index, "valid", generated.partition_key, _dumps(record), record_id, truth
        )
        if duplicates:
            copy = Emission(
                index, "duplicate", emission.partition_key, emission.data, record_id, truth
            )
            due = index + 1 + self._duplicate.randint(0, cfg.duplicate_max_delay)
            self._order += 1
            heapq.heappush(self._pending, (due, self._order, copy))
        return emission

    def _apply_missing(self, record: dict[str, Any]) -> list[str]:
        """Null or drop feature fields at the missing rate; returns the fields affected."""
        rate = self.config.missing_rate
        if not rate:
            return []
        missing = []
        for field in self.generator.feature_fields:
            if self._missing.random() < rate:
                missing.append(field)
                if self._missing.random() < 0.5:
                    record[field] = None
                else:
                    del record[field]
        return missing

    def _malform(self, record: dict[str, Any]) -> bytes:
        """Bytes that no JSON parser accepts, in one of a few realistic shapes."""
        rng = self._malformed
        kind = rng.choice(_MALFORMED_KINDS)
        if kind == "truncated_json":
            text = _dumps(record)
            data = text[: rng.randint(1, len(text) - 2)]
        elif kind == "csv_line":
            data = (self.generator.name + "," + ",".join(str(v) for v in record.values())).encode()
        elif kind == "xml":
            fields = "".join(f"<{k}>{v}</{k}>" for k, v in record.items())
            data = f"<{self.generator.name}>{fields}</{self.generator.name}>".encode()
        else:
            data = b""
        if kind == "binary" or _is_json(data):
            data = b"\xff\xfe" + rng.randbytes(rng.randint(16, 128))
        return data


def iter_emissions(config: SimulatorConfig) -> Iterator[Emission]:
    """Every emission of a run with a record count, in wire order (no network involved)."""
    emitter = Emitter(config)
    limit = emitter.config.record_limit
    if limit is None:
        raise ValueError("iter_emissions needs config.records (a duration has no fixed end)")
    for index in range(limit):
        yield from emitter.emit(index)
    yield from emitter.drain()
