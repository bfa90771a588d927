"""Aggregate listed objects per folder: counts, sizes and a bounded list of samples.

Only folders that directly hold data objects get an entry, and each keeps at most
``sample_size`` objects (the first by key), so memory grows with folders, not objects.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from catalog.crawler.listing import DeltaRoot, ListedObject

__all__ = ["FolderIndex", "FolderStats", "is_under"]


def is_under(rel: str, root: str) -> bool:
    """True when ``rel`` is ``root`` or below it (``""`` is the include path itself)."""
    return not root or rel == root or rel.startswith(root + "/")


@dataclass
class FolderStats:
    """Objects directly in one folder."""

    rel: str
    objects: int = 0
    size: int = 0
    newest: float | None = None
    samples: list[ListedObject] = field(default_factory=list)

    def add(self, obj: ListedObject, limit: int) -> None:
        self.objects += 1
        self.size += obj.size
        if obj.mtime is not None and (self.newest is None or obj.mtime > self.newest):
            self.newest = obj.mtime
        if len(self.samples) < limit or obj.rel < self.samples[-1].rel:
            bisect.insort(self.samples, obj, key=lambda o: o.rel)
            del self.samples[limit:]


class FolderIndex:
    """Folders with data objects, and Delta table roots, of one include path."""

    def __init__(self, sample_size: int):
        self.sample_size = sample_size
        self.folders: dict[str, FolderStats] = {}
        self.delta_roots: set[str] = set()
        self.absorbed = 0

    def add(self, item: ListedObject | DeltaRoot) -> None:
        if isinstance(item, DeltaRoot):
            self.delta_roots.add(item.rel)
            return
        folder = item.folder
        stats = self.folders.get(folder)
        if stats is None:
            stats = self.folders[folder] = FolderStats(folder)
        stats.add(item, self.sample_size)

    def finish(self) -> None:
        """Fold everything under a Delta root into it (its files belong to the Delta table)."""
        roots = self.delta_roots
        outer = {r for r in roots if not any(a in roots for a in _ancestors(r))}
        self.delta_roots = outer
        for rel in list(self.folders):
            if rel in outer or any(a in outer for a in _ancestors(rel)):
                self.absorbed += self.folders.pop(rel).objects


def _ancestors(rel: str) -> list[str]:
    """``"a/b/c"`` → ``["", "a", "a/b"]``."""
    parts = rel.split("/") if rel else []
    return ["/".join(parts[:i]) for i in range(len(parts))]
