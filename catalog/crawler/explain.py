"""The decision log of a crawl: every verdict, grouping choice and planned change.

Entries are kept in order under a section name; :meth:`Explain.render` prints them grouped
by section, which is what ``lake crawl --dry-run --explain`` shows.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["SECTIONS", "Explain"]

SECTIONS = (
    "listing",
    "classification",
    "csv header",
    "widening",
    "grouping",
    "similarity",
    "partitions",
    "plan",
)


@dataclass
class Explain:
    """Collects ``(section, message)`` entries; ``enabled=False`` keeps only counts."""

    enabled: bool = True
    entries: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, section: str, message: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            self.entries.append((section, message))

    def section(self, name: str) -> Iterator[str]:
        return (m for s, m in self.entries if s == name)

    def render(self) -> str:
        """Plain text: one heading per section, one line per decision."""
        order = list(SECTIONS) + sorted({s for s, _ in self.entries} - set(SECTIONS))
        out: list[str] = []
        for name in order:
            lines = list(self.section(name))
            if not lines:
                continue
            out.append(f"== {name} ==")
            out.extend(f"  {line}" for line in lines)
        return "\n".join(out)

    def to_json(self) -> list[dict[str, str]]:
        return [{"section": s, "message": m} for s, m in self.entries]
