"""A run's intent, written before it writes anything, so a rerun after a crash redoes the same batch.

``<lake>/_etl/attempts/<table>/g<generation>.json`` holds the run id, generation, mode and
the source version range of a run that has started but not yet committed its target. A rerun
finds it and processes exactly that range again (not the sources' newer commits), so the
quarantine and results rows the crashed attempt already wrote (idempotent by the generation's
transaction) are the ones the rerun would write. Removed once the target commit is done.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow.fs as pafs

from lake.storage import StorageProfile

__all__ = ["ATTEMPTS_PREFIX", "Attempt", "AttemptLog"]

ATTEMPTS_PREFIX = "_etl/attempts"


@dataclass(frozen=True)
class Attempt:
    """A started run: what it processes (source → version range) and under which generation."""

    run_id: str
    generation: int
    mode: str
    reason: str
    definition_id: str
    since: dict[str, int] = field(default_factory=dict)
    until: dict[str, int] = field(default_factory=dict)
    started_at: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attempt:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


class AttemptLog:
    """The attempts of one ETL table, as small JSON objects in the lake."""

    def __init__(self, profile: StorageProfile, table: str) -> None:
        self.profile = profile
        self.root = profile.resolve(f"{ATTEMPTS_PREFIX}/{table}")
        self._fs = profile.filesystem()
        self._dir = profile.fs_path(self.root)

    def _path(self, generation: int) -> str:
        return f"{self._dir}/g{generation:012d}.json"

    def pending(self) -> list[Attempt]:
        """Attempts on record, oldest generation first."""
        infos = self._fs.get_file_info(pafs.FileSelector(self._dir, allow_not_found=True))
        out = []
        for info in sorted(infos, key=lambda i: i.path):
            if info.type == pafs.FileType.File and info.path.endswith(".json"):
                with self._fs.open_input_stream(info.path) as stream:
                    out.append(Attempt.from_json(json.loads(stream.read().decode("utf-8"))))
        return out

    def save(self, attempt: Attempt) -> None:
        if self.profile.kind == "local":
            self._fs.create_dir(self._dir, recursive=True)
        with self._fs.open_output_stream(self._path(attempt.generation)) as out:
            out.write(json.dumps(asdict(attempt), sort_keys=True).encode("utf-8"))

    def discard(self, attempt: Attempt) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._fs.delete_file(self._path(attempt.generation))
