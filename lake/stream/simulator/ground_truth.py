"""The ground-truth file: one JSON line per distinct valid record Kinesis accepted."""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType
from typing import IO, Any

__all__ = ["GroundTruthWriter", "read_ground_truth"]


class GroundTruthWriter:
    """Appends ground-truth lines to ``path`` (truncated on open); a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] = self.path.open("w", encoding="utf-8")
        self.lines = 0

    def write(self, truth: dict[str, Any], shard_id: str, sequence_number: str) -> None:
        line = {**truth, "shard_id": shard_id, "sequence_number": sequence_number}
        self._fh.write(json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n")
        self.lines += 1

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> GroundTruthWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_ground_truth(path: Path | str) -> list[dict[str, Any]]:
    """All lines of a ground-truth file, parsed."""
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
