"""The simulator's options, validated once, with the defaults the CLI shows."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from lake.stream.simulator.errors import SimulatorConfigError
from lake.stream.simulator.generators import GENERATORS
from lake.stream.simulator.producer import RetryPolicy

__all__ = ["DEFAULT_RECORDS", "SimulatorConfig", "parse_duration"]

DEFAULT_RECORDS = 1000
_STREAM_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(text: str | float, option: str = "duration") -> float:
    """Seconds from ``90``, ``"90s"``, ``"15m"``, ``"2h"``, ``"1d"`` or ``"250ms"``."""
    if isinstance(text, int | float):
        return float(text)
    match = _DURATION.match(text)
    if not match:
        raise SimulatorConfigError(option, text, "a duration such as 90, 90s, 15m, 2h or 1d")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _rate(option: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise SimulatorConfigError(option, value, "a fraction in [0, 1]")


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything one simulator run needs; ``seed``/``start_time`` None = chosen at run time.

    With the same ``seed`` and ``start_time`` (and the same rate, which spaces event times)
    the bytes sent are identical from run to run.
    """

    generator: str = "heart"
    stream_name: str | None = None  # defaults to the generator name
    records: int | None = None  # default DEFAULT_RECORDS unless a duration is given
    duration: float | None = None  # seconds
    rate: float = 1000.0  # generated records per second; 0 = as fast as possible
    shards: int = 2
    seed: int | None = None
    start_time: datetime | None = None  # event time of record 0 (UTC); default now
    missing_rate: float = 0.0
    outlier_rate: float = 0.0
    duplicate_rate: float = 0.0
    duplicate_max_delay: int = 50  # a duplicate follows its original within this many records
    late_rate: float = 0.0
    lateness: float = 3600.0  # seconds; a late event is up to this much older than its slot
    malformed_rate: float = 0.0
    class_balance: float = 0.45
    drift_after: int | None = None
    drift_string_rate: float = 0.25  # share of post-drift records with the string-typed field
    labeled: bool = True
    entities: int | None = None  # patients (heart) or devices (iot)
    ground_truth: Path | None = None
    linger: float = 0.1  # seconds a partial PutRecords batch may wait for more records
    send_queue: int = 2  # requests generated ahead of the one being sent (0 = synchronous)
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if self.generator not in GENERATORS:
            raise SimulatorConfigError("generator", self.generator, " or ".join(sorted(GENERATORS)))
        if not _STREAM_NAME.match(self.stream):
            raise SimulatorConfigError(
                "stream_name", self.stream, "1-128 characters of letters, digits, _ . -"
            )
        if self.records is not None and self.records < 0:
            raise SimulatorConfigError("records", self.records, "an integer ≥ 0")
        if self.duration is not None and self.duration <= 0:
            raise SimulatorConfigError("duration", self.duration, "seconds > 0")
        if self.rate < 0:
            raise SimulatorConfigError("rate", self.rate, "records per second ≥ 0 (0 = unlimited)")
        if self.shards < 1:
            raise SimulatorConfigError("shards", self.shards, "an integer ≥ 1")
        if self.seed is not None and self.seed < 0:
            raise SimulatorConfigError("seed", self.seed, "an integer ≥ 0")
        for option in (
            "missing_rate",
            "outlier_rate",
            "duplicate_rate",
            "late_rate",
            "malformed_rate",
            "drift_string_rate",
        ):
            _rate(option, getattr(self, option))
        if self.duplicate_max_delay < 0:
            raise SimulatorConfigError("duplicate_max_delay", self.duplicate_max_delay, "≥ 0")
        if self.lateness <= 0:
            raise SimulatorConfigError("lateness", self.lateness, "seconds > 0")
        if not 0.01 <= self.class_balance <= 0.99:
            raise SimulatorConfigError(
                "class_balance", self.class_balance, "a fraction in [0.01, 0.99]"
            )
        if self.drift_after is not None and self.drift_after < 0:
            raise SimulatorConfigError("drift_after", self.drift_after, "a record index ≥ 0")
        if self.entities is not None and self.entities < 1:
            raise SimulatorConfigError("entities", self.entities, "an integer ≥ 1")
        if self.send_queue < 0:
            raise SimulatorConfigError("send_queue", self.send_queue, "an integer ≥ 0")
        if self.linger < 0:
            raise SimulatorConfigError("linger", self.linger, "seconds ≥ 0")
        if self.start_time is not None and self.start_time.tzinfo is None:
            object.__setattr__(self, "start_time", self.start_time.replace(tzinfo=UTC))

    @property
    def stream(self) -> str:
        """The Kinesis stream name."""
        return self.stream_name or self.generator

    @property
    def record_limit(self) -> int | None:
        """How many records to generate (None = until the duration ends)."""
        if self.records is not None:
            return self.records
        return None if self.duration is not None else DEFAULT_RECORDS

    def resolved(self) -> SimulatorConfig:
        """This config with a concrete seed and start time (random seed, now)."""
        seed = self.seed if self.seed is not None else secrets.randbelow(2**31)
        start = self.start_time or datetime.now(UTC)
        start = start.replace(microsecond=start.microsecond // 1000 * 1000)
        return replace(self, seed=seed, start_time=start)
