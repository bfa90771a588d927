"""What every record generator provides, and the options they are built from."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

__all__ = [
    "GeneratedRecord",
    "GeneratorOptions",
    "RecordGenerator",
    "format_event_time",
    "parse_event_time",
]


def format_event_time(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a ``Z`` suffix: ``2026-11-24T08:15:30.123Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_event_time(text: str) -> datetime:
    """Inverse of :func:`format_event_time` (accepts any ISO-8601 with an offset or ``Z``)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class GeneratorOptions:
    """Inputs shared by all generators; ``seed`` makes a generator's output reproducible."""

    seed: int
    class_balance: float = 0.45
    labeled: bool = True
    outlier_rate: float = 0.0
    entities: int | None = None  # patients (heart) or devices (iot); None = generator default

    def seed_sequence(self, *path: int) -> np.random.SeedSequence:
        """An independent seed for one concern of a generator (``path`` names the concern)."""
        return np.random.SeedSequence([self.seed, *path])

    def python_rng(self, *path: int) -> random.Random:
        return random.Random(int(self.seed_sequence(*path).generate_state(2, np.uint64)[0]))


@dataclass
class GeneratedRecord:
    """A clean record (a JSON object), its partition key and facts kept for ground truth."""

    record: dict[str, Any]
    partition_key: str
    truth: dict[str, Any] = field(default_factory=dict)


class RecordGenerator(Protocol):
    """A deterministic source of records for one stream kind."""

    name: str
    label_field: str | None
    feature_fields: tuple[str, ...]  # fields the missing-value knob may null or drop
    drift_field: str  # new field that appears after the drift point
    drift_string_field: str  # numeric field that may arrive as a string after the drift point

    def next_record(self, index: int, record_id: str, event_time: datetime) -> GeneratedRecord:
        """The record for slot ``index`` (calls must come in index order)."""
        ...

    def drift_value(self, record: dict[str, Any], rng: random.Random) -> Any:
        """A value for :attr:`drift_field` consistent with ``record``."""
        ...

    def drift_string(self, value: Any, rng: random.Random) -> str:
        """``value`` of :attr:`drift_string_field` rewritten as a string no cast can read."""
        ...
