"""Decide which folders are tables and which are partitions, the way Glue's crawler does.

Walking down from the include path, a folder becomes one table, with every data folder
below it as a partition, when all of these hold:

- it contains no Delta table root (a Delta root is always a table of its own) and no table
  the catalog already knows (CRAWL_NEW_FOLDERS_ONLY);
- all its data folders sit at the same depth below it (and it holds no files itself if it
  has data sub-folders);
- they share one format (classification; for CSV also delimiter and header);
- their schemas are similar: at most 5 distinct column-name sets, and every pair of them has
  a Jaccard similarity (shared names / all names) of at least 0.7.

Otherwise the folder is split: files directly in it form a table of their own and each
sub-folder is examined the same way. ``CombineCompatibleSchemas`` drops the similarity
test (same format and depth still required). An explicit table level instead makes every
folder at that absolute level (bucket or first path component = 1) a table.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from catalog.crawler.errors import CrawlerError
from catalog.crawler.explain import Explain
from catalog.crawler.folders import is_under
from catalog.crawler.leaves import Compat, Leaf

__all__ = ["GroupingPolicy", "TableGroup", "group_leaves", "jaccard"]


@dataclass(frozen=True)
class GroupingPolicy:
    """How folders are grouped into tables (see the module rules)."""

    combine_compatible_schemas: bool = False
    table_level: int | None = None
    min_similarity: float = 0.7
    max_schemas: int = 5


@dataclass
class TableGroup:
    """The folders of one table: ``root`` (relative to the include path) and its leaves."""

    root: str
    leaves: list[Leaf]
    depth: int
    reason: str
    similarity: float | None = None
    dropped: list[str] = field(default_factory=list)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared names / all names (two empty schemas are identical)."""
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def _show(rel: str) -> str:
    return rel or "<include path>"


def _relative_depth(leaf: Leaf, node: str) -> int:
    return leaf.depth - (node.count("/") + 1 if node else 0)


class _Grouper:
    def __init__(
        self,
        leaves: Sequence[Leaf],
        policy: GroupingPolicy,
        explain: Explain,
        pinned: Collection[str],
    ):
        self.leaves = {leaf.rel: leaf for leaf in leaves}
        self.policy = policy
        self.explain = explain
        self.pinned = list(pinned)
        self.children: dict[str, set[str]] = defaultdict(set)
        for rel in self.leaves:
            parts = rel.split("/") if rel else []
            for i in range(len(parts)):
                parent = "/".join(parts[:i])
                self.children[parent].add("/".join(parts[: i + 1]))

    def under(self, node: str) -> list[Leaf]:
        return [leaf for rel, leaf in sorted(self.leaves.items()) if is_under(rel, node)]

    def mergeable(self, node: str, under: list[Leaf]) -> tuple[bool, str, float | None]:
        where = _show(node)
        pinned = [p for p in self.pinned if is_under(p, node)]
        if pinned:
            return False, f"contains a table the catalog already has ({_show(pinned[0])})", None
        deltas = [leaf for leaf in under if leaf.delta is not None or leaf.classification == "delta"]
        if deltas:
            if len(under) == 1 and under[0].rel == node:
                return True, "Delta table root (_delta_log/)", None
            return (
                False,
                f"contains Delta table root(s): {', '.join(_show(d.rel) for d in deltas[:3])}",
                None,
            )
        if node in self.leaves and len(under) > 1:
            return False, "holds data files itself and in sub-folders", None
        depths = Counter(_relative_depth(leaf, node) for leaf in under)
        if len(depths) > 1:
            return False, f"data sits at different depths below {where}: {sorted(depths)}", None
        formats = Counter(leaf.compat for leaf in under)
        if len(formats) > 1:
            shown = ", ".join(f"{c} x{n}" for c, n in formats.items())
            return False, f"different formats: {shown}", None
        if len(under) == 1:
            return True, "a single data folder", None
        if self.policy.combine_compatible_schemas:
            return True, "CombineCompatibleSchemas: same format and depth, schemas combined", None
        schemas = Counter(frozenset(n for n, _ in leaf.columns) for leaf in under)
        if len(schemas) > self.policy.max_schemas:
            return (
                False,
                (f"{len(schemas)} distinct schemas among {len(under)} folders (more than {self.policy.max_schemas})"),
                None,
            )
        worst = 1.0
        if len(schemas) == 1:
            self.explain.add("similarity", f"{where}: {len(under)} folders share one schema → 1.00")
        for a, b in combinations(sorted(schemas, key=sorted), 2):
            score = jaccard(a, b)
            worst = min(worst, score)
            self.explain.add(
                "similarity",
                f"{where}: {sorted(a)} vs {sorted(b)} → {score:.2f}",
            )
        if worst < self.policy.min_similarity:
            return (
                False,
                (f"schemas not similar: lowest similarity {worst:.2f} < {self.policy.min_similarity}"),
                worst,
            )
        return (
            True,
            (
                f"{len(under)} folders, {len(schemas)} distinct schema(s), "
                f"lowest similarity {worst:.2f} ≥ {self.policy.min_similarity}"
            ),
            worst,
        )

    def visit(self, node: str, out: list[TableGroup]) -> None:
        under = self.under(node)
        if not under:
            return
        ok, reason, score = self.mergeable(node, under)
        if ok:
            depth = _relative_depth(under[0], node)
            self.explain.add("grouping", f"{_show(node)}: one table — {reason}")
            out.append(TableGroup(node, under, depth, reason, score))
            return
        self.explain.add("grouping", f"{_show(node)}: split — {reason}")
        if node in self.leaves:
            leaf = self.leaves[node]
            self.explain.add("grouping", f"{_show(node)}: its own files form a table")
            out.append(TableGroup(node, [leaf], 0, "files directly in the folder"))
        for child in sorted(self.children.get(node, ())):
            self.visit(child, out)

    def by_level(self, relative: int) -> list[TableGroup]:
        groups: dict[str, list[Leaf]] = defaultdict(list)
        out: list[TableGroup] = []
        for rel, leaf in sorted(self.leaves.items()):
            if leaf.delta is not None:
                out.append(TableGroup(rel, [leaf], 0, "Delta table root (_delta_log/)"))
                continue
            if leaf.depth < relative:
                self.explain.add(
                    "grouping",
                    f"{_show(rel)}: above the table level {self.policy.table_level}; not crawled",
                )
                continue
            root = "/".join(rel.split("/")[:relative]) if relative else ""
            groups[root].append(leaf)
        for root, leaves in sorted(groups.items()):
            out.append(self._forced(root, leaves))
        return out

    def _forced(self, root: str, leaves: list[Leaf]) -> TableGroup:
        depths = Counter(_relative_depth(leaf, root) for leaf in leaves)
        formats = Counter(leaf.compat for leaf in leaves)
        depth = min(depths, key=lambda d: (-depths[d], d))
        fmt: Compat = min(formats, key=lambda c: (-formats[c], str(c)))
        kept = [leaf for leaf in leaves if _relative_depth(leaf, root) == depth and leaf.compat == fmt]
        dropped = [leaf.rel for leaf in leaves if leaf not in kept]
        for rel in dropped:
            self.explain.add(
                "grouping",
                f"{_show(rel)}: depth or format differs from table {_show(root)} (depth {depth}, {fmt}); not crawled",
            )
        reason = f"table level {self.policy.table_level}: every folder at that level is a table"
        self.explain.add("grouping", f"{_show(root)}: one table — {reason}")
        return TableGroup(root, kept, depth, reason, dropped=dropped)


def group_leaves(
    leaves: Sequence[Leaf],
    policy: GroupingPolicy,
    explain: Explain,
    *,
    include_level: int,
    pinned: Collection[str] = (),
) -> list[TableGroup]:
    """Group the data folders of one include path into tables.

    ``include_level`` is the absolute level of the include path itself (``s3://b`` = 1,
    ``s3://b/x`` = 2, ``/data/x`` = 2); ``pinned`` are roots of tables the catalog already has
    (relative paths), which no new table may contain.
    """
    grouper = _Grouper(leaves, policy, explain, pinned)
    if policy.table_level is not None:
        relative = policy.table_level - include_level
        if relative < 0:
            raise CrawlerError(f"table level {policy.table_level} is above the include path (level {include_level})")
        return grouper.by_level(relative)
    out: list[TableGroup] = []
    grouper.visit("", out)
    return out
