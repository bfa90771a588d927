"""A token bucket that paces the producer to a target records-per-second rate."""

from __future__ import annotations

import time
from collections.abc import Callable

from lake.stream.simulator.errors import SimulatorConfigError

__all__ = ["TokenBucket"]


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; ``rate = 0`` means unlimited.

    The default burst is a quarter second of tokens, enough to catch up after a slow
    PutRecords call without overshooting a shard's write limit for long.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate < 0:
            raise SimulatorConfigError("rate", rate, "records per second ≥ 0 (0 = unlimited)")
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else max(1.0, self.rate / 4)
        if self.burst < 1:
            raise SimulatorConfigError("burst", burst, "≥ 1 token")
        self._clock = clock
        self._sleep = sleep
        self._tokens = 1.0
        self._last = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def wait_time(self, n: float = 1.0) -> float:
        """Seconds :meth:`acquire` would sleep for ``n`` tokens right now."""
        if self.rate == 0:
            return 0.0
        self._refill()
        return max(0.0, (n - self._tokens) / self.rate)

    def acquire(self, n: float = 1.0) -> float:
        """Take ``n`` tokens, sleeping until they are available; returns the seconds slept."""
        if self.rate == 0:
            return 0.0
        self._refill()
        waited = 0.0
        if self._tokens < n:
            wait = (n - self._tokens) / self.rate
            self._sleep(wait)
            waited = wait
            self._refill()
        self._tokens -= n
        return waited
