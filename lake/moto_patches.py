"""Performance fixes applied to moto before its server starts.

moto 5.2.5 finds a shard's last sequence number by listing every record of the shard on each
PutRecords, so puts slow down as a shard fills (≈1,000 records/s after a minute). Records are
kept in insertion order, so the first/last key is the min/max sequence number.
"""

from __future__ import annotations

__all__ = ["apply_kinesis_speedups"]


def apply_kinesis_speedups() -> None:
    """Make ``Shard.get_max/min_sequence_number`` O(1) (same results, ordered dict ends)."""
    from moto.kinesis import models

    models.Shard.get_max_sequence_number = lambda self: next(reversed(self.records), 0)  # type: ignore[method-assign]
    models.Shard.get_min_sequence_number = lambda self: next(iter(self.records), 0)  # type: ignore[method-assign]
