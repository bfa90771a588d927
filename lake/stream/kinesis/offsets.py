"""The source's offset: per-shard positions plus the identity of the stream they belong to.

Spark writes each micro-batch's end offset to the query checkpoint (``offsets/<batch id>``)
before the batch runs and hands it back on restart, so the identity stored *in* the offset
travels atomically with the positions it qualifies — no sidecar file to keep in step. A
stream deleted and created again under the same name keeps its ARN but not its creation
time; both are compared with the live stream on every ``latestOffset``.

JSON form::

    {"stream": {"arn": "arn:aws:kinesis:…:stream/heart", "created": "2026-12-01T09:07:15.730Z"},
     "shards": {"shardId-000000000000": "3870", "shardId-000000000001": "TRIM_HORIZON"},
     "finished": ["shardId-000000000000"]}

``finished`` lists closed shards read to their end (they may expire from the stream later
without anything being lost). Checkpoints written before identities were recorded hold the
bare ``{shardId: position}`` map; they are read as offsets with an unknown identity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["SourceOffset", "StreamIdentity", "identity_difference"]


def _iso_ms(value: Any) -> str:
    """``StreamCreationTimestamp`` (epoch seconds, datetime or ISO text) as ISO-8601 UTC, ms."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, int | float) or str(value).replace(".", "", 1).isdigit():
        moment = datetime.fromtimestamp(round(float(value) * 1000) / 1000, tz=UTC)
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class StreamIdentity:
    """Which stream an offset belongs to: its ARN and creation time."""

    arn: str
    created: str  # ISO-8601 UTC, milliseconds

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> StreamIdentity:
        """From a ``DescribeStreamSummary`` ``StreamDescriptionSummary``."""
        return cls(str(summary["StreamARN"]), _iso_ms(summary["StreamCreationTimestamp"]))

    def to_json(self) -> dict[str, str]:
        return {"arn": self.arn, "created": self.created}


def identity_difference(checkpointed: StreamIdentity, live: StreamIdentity) -> str | None:
    """What differs between the checkpoint's stream and the live one (``None``: the same)."""
    if checkpointed.arn != live.arn:
        return (
            f"the checkpoint is for stream {checkpointed.arn} (created {checkpointed.created}), "
            f"the live stream is {live.arn} (created {live.created})"
        )
    if checkpointed.created != live.created:
        return (
            f"the stream was deleted and created again: the checkpoint is for {checkpointed.arn} "
            f"created {checkpointed.created}, the live stream was created {live.created}"
        )
    return None


@dataclass(frozen=True)
class SourceOffset:
    """Per-shard positions, the stream they belong to, and the closed shards read to the end."""

    positions: dict[str, str]
    stream: StreamIdentity | None = None  # None: a checkpoint from before identities
    finished: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> SourceOffset:
        data = dict(data or {})
        shards = data.get("shards")
        if not isinstance(shards, Mapping):  # the bare {shardId: position} of older checkpoints
            return cls({str(k): str(v) for k, v in data.items()})
        stream = data.get("stream")
        return cls(
            {str(k): str(v) for k, v in shards.items()},
            StreamIdentity(str(stream["arn"]), str(stream["created"])) if stream else None,
            frozenset(str(s) for s in data.get("finished") or ()),
        )

    def to_json(self) -> dict[str, Any]:
        """Deterministic JSON (Spark compares offsets as text to detect new data)."""
        out: dict[str, Any] = {}
        if self.stream is not None:
            out["stream"] = self.stream.to_json()
        out["shards"] = dict(sorted(self.positions.items()))
        out["finished"] = sorted(self.finished)
        return out
