"""Compare what a crawl found with the catalog and plan changes under the crawler's policies.

- New tables are always created (with their partitions).
- A table that exists at the same location and differs is updated with
  ``UPDATE_IN_DATABASE`` (user-set parameters are kept) or only logged with ``LOG``.
- New partitions are always added; with ``LOG`` they inherit the catalog table's columns
  and formats, so partitions never disagree with their table. Partitions whose folder is
  gone are deleted only with ``DELETE_FROM_DATABASE``.
- The crawler's own tables (``UPDATED_BY_CRAWLER``) under its include paths that the crawl
  no longer finds are marked ``DEPRECATED_BY_CRAWLER`` (``DEPRECATE_IN_DATABASE``), removed
  from the catalog (``DELETE_FROM_DATABASE``) or logged (``LOG``). Data is never deleted.
- A name already taken by a table at another location gets a short hash suffix, as Glue does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from catalog.crawler.definitions import CrawlerDefinition, DeleteBehavior, UpdateBehavior
from catalog.crawler.explain import Explain
from catalog.crawler.folders import is_under
from catalog.crawler.tables import TableCandidate, suffixed_name
from catalog.model import Param, Partition, Table
from lake.storage import uris

__all__ = [
    "Action",
    "PartitionAdditions",
    "Plan",
    "norm_location",
    "plan_changes",
]


def norm_location(uri: str | None) -> str:
    """A location comparable across spellings (scheme normalised, no trailing ``/``)."""
    return uris.to_native(uri or "").rstrip("/")


@dataclass
class Action:
    """One change to the catalog (``log`` actions change nothing)."""

    kind: str
    table: str
    detail: str
    new_table: Table | None = None
    partitions: list[Partition] = field(default_factory=list)
    values: list[tuple[str, ...]] = field(default_factory=list)

    def describe(self) -> str:
        verb = {
            "create_table": "create table",
            "update_table": "update table",
            "deprecate_table": "deprecate table",
            "delete_table": "delete table (catalog only; data kept)",
            "add_partitions": "add partitions to",
            "update_partitions": "update partitions of",
            "delete_partitions": "delete partitions of (catalog only; data kept)",
            "log": "log only:",
        }[self.kind]
        return f"{verb} {self.table}: {self.detail}"


@dataclass
class PartitionAdditions:
    """New partitions for a table the catalog already has (CRAWL_NEW_FOLDERS_ONLY)."""

    table: Table
    partitions: list[Partition]


@dataclass
class Plan:
    """Every change a crawl would make, in the order it applies them."""

    actions: list[Action] = field(default_factory=list)

    def add(self, action: Action, explain: Explain) -> None:
        self.actions.append(action)
        explain.add("plan", action.describe())

    def count(self, kind: str) -> int:
        return sum(1 for a in self.actions if a.kind == kind)

    def partitions(self, kind: str) -> int:
        return sum(len(a.partitions) or len(a.values) for a in self.actions if a.kind == kind)

    @property
    def writes(self) -> bool:
        return any(a.kind != "log" for a in self.actions)


def _column_diff(old: Table, new: Table) -> list[str]:
    changes: list[str] = []
    before = {c.name: c.type for c in old.columns}
    after = {c.name: c.type for c in new.columns}
    changes += [f"+{n} {t}" for n, t in after.items() if n not in before]
    changes += [f"-{n}" for n in before if n not in after]
    changes += [f"{n} {before[n]}→{t}" for n, t in after.items() if n in before and before[n] != t]
    return changes


def _differences(old: Table, new: Table) -> list[str]:
    out: list[str] = []
    columns = _column_diff(old, new)
    if columns:
        out.append("columns " + ", ".join(columns))
    if [(k.name, k.type) for k in old.partition_keys] != [(k.name, k.type) for k in new.partition_keys]:
        out.append(f"partition keys {[k.name for k in old.partition_keys]} → {[k.name for k in new.partition_keys]}")
    osd, nsd = old.storage_descriptor, new.storage_descriptor
    if (osd.input_format, osd.serde_info) != (nsd.input_format, nsd.serde_info):
        out.append(f"format {old.classification} → {new.classification}")
    changed = sorted(
        k
        for k in set(new.parameters) | set(old.parameters)
        if k in new.parameters and old.parameters.get(k) != new.parameters.get(k)
    )
    if Param.DEPRECATED_BY_CRAWLER in old.parameters:
        changed.append("no longer deprecated")
    if changed and not out:
        out.append("parameters " + ", ".join(changed))
    elif changed:
        out.append(f"{len(changed)} parameter(s)")
    return out


def _merged(old: Table, new: Table) -> Table:
    params = {k: v for k, v in old.parameters.items() if k != Param.DEPRECATED_BY_CRAWLER}
    params.update(new.parameters)
    return replace(
        new,
        parameters=params,
        description=old.description,
        owner=old.owner,
        version_id=old.version_id,
    )


_PARTITION_STATS = (Param.OBJECT_COUNT, Param.SIZE_KEY, Param.RECORD_COUNT)


def _partition_differs(old: Partition, new: Partition) -> bool:
    """Location, columns, SerDe or object statistics changed."""
    osd, nsd = old.storage_descriptor, new.storage_descriptor
    if osd is None or nsd is None:
        return osd is not nsd
    return (
        norm_location(osd.location) != norm_location(nsd.location)
        or [(c.name, c.type) for c in osd.columns] != [(c.name, c.type) for c in nsd.columns]
        or osd.serde_info != nsd.serde_info
        or any(old.parameters.get(k) != new.parameters.get(k) for k in _PARTITION_STATS)
    )


def inherit_partitions(table: Table, partitions: Sequence[Partition]) -> list[Partition]:
    """``partitions`` re-based on the catalog ``table``'s storage descriptor (its columns)."""
    return [
        replace(
            p,
            database_name=table.database_name,
            table_name=table.name,
            storage_descriptor=table.storage_descriptor.with_location(
                p.storage_descriptor.location if p.storage_descriptor else None
            ),
        )
        for p in partitions
    ]


def plan_changes(
    definition: CrawlerDefinition,
    candidates: Sequence[TableCandidate],
    additions: Sequence[PartitionAdditions],
    existing: Iterable[Table],
    list_partitions: Callable[[str], list[Partition]],
    include_uris: Sequence[str],
    explain: Explain,
    *,
    detect_deleted: bool = True,
) -> tuple[Plan, list[TableCandidate]]:
    """The plan, and the candidates with their final (collision-free) names."""
    plan = Plan()
    crawler = definition.name
    tables = {t.name: t for t in existing}
    own_by_location = {
        norm_location(t.location): t
        for t in tables.values()
        if t.parameters.get(Param.UPDATED_BY_CRAWLER) == crawler and t.location
    }
    matched: set[str] = set()
    taken: set[str] = set()
    final: list[TableCandidate] = []
    for cand in sorted(candidates, key=lambda c: c.location):
        loc = norm_location(cand.location)
        old = own_by_location.get(loc)
        if old is None:
            name = cand.name
            other = tables.get(name)
            if name in taken or (other is not None and norm_location(other.location) != loc):
                name = suffixed_name(cand.name, loc)
                explain.add("plan", f"name {cand.name!r} is taken by another table; using {name!r}")
            old = tables.get(name)
            cand = replace(cand, name=name)
        else:
            cand = replace(cand, name=old.name)
        taken.add(cand.name)
        final.append(cand)
        new = cand.table(definition.database, crawler)
        new_parts = cand.partition_objects(new)
        if old is None:
            plan.add(
                Action("create_table", cand.name, f"{cand.classification} at {cand.location}", new),
                explain,
            )
            if new_parts:
                plan.add(
                    Action(
                        "add_partitions",
                        cand.name,
                        f"{len(new_parts)} partition(s)",
                        partitions=new_parts,
                    ),
                    explain,
                )
            continue
        matched.add(old.name)
        _plan_existing(definition, plan, old, new, new_parts, list_partitions, explain)
    for add in additions:
        matched.add(add.table.name)
        if add.partitions:
            parts = inherit_partitions(add.table, add.partitions)
            plan.add(
                Action(
                    "add_partitions",
                    add.table.name,
                    f"{len(parts)} new partition(s) with the table's schema",
                    partitions=parts,
                ),
                explain,
            )
    if detect_deleted:
        _plan_missing(definition, plan, tables.values(), matched, include_uris, explain)
    return plan, final


def _plan_existing(
    definition: CrawlerDefinition,
    plan: Plan,
    old: Table,
    new: Table,
    new_parts: list[Partition],
    list_partitions: Callable[[str], list[Partition]],
    explain: Explain,
) -> None:
    update = definition.update_behavior == UpdateBehavior.UPDATE_IN_DATABASE
    diffs = _differences(old, new)
    keys_changed = [k.name for k in old.partition_keys] != [k.name for k in new.partition_keys]
    if diffs:
        if update:
            plan.add(Action("update_table", old.name, "; ".join(diffs), _merged(old, new)), explain)
        else:
            plan.add(
                Action(
                    "log",
                    old.name,
                    "differs (" + "; ".join(diffs) + "); UpdateBehavior LOG keeps it",
                ),
                explain,
            )
    else:
        explain.add("plan", f"table {old.name}: unchanged")
    existing_parts = list_partitions(old.name) if old.partition_keys else []
    if keys_changed:
        if not update:
            return
        if existing_parts:
            plan.add(
                Action(
                    "delete_partitions",
                    old.name,
                    f"{len(existing_parts)} partition(s) under the old partition keys",
                    values=[p.values for p in existing_parts],
                ),
                explain,
            )
        if new_parts:
            plan.add(
                Action(
                    "add_partitions",
                    old.name,
                    f"{len(new_parts)} partition(s)",
                    partitions=new_parts,
                ),
                explain,
            )
        return
    by_values = {p.values: p for p in existing_parts}
    found = {p.values: p for p in new_parts}
    added = [p for v, p in found.items() if v not in by_values]
    if not update:
        added = inherit_partitions(old, added)
    if added:
        plan.add(
            Action("add_partitions", old.name, f"{len(added)} new partition(s)", partitions=added),
            explain,
        )
    changed = [p for v, p in found.items() if v in by_values and _partition_differs(by_values[v], p)]
    if changed:
        if update:
            plan.add(
                Action(
                    "update_partitions",
                    old.name,
                    f"{len(changed)} partition(s) changed",
                    partitions=changed,
                ),
                explain,
            )
        else:
            plan.add(
                Action(
                    "log",
                    old.name,
                    f"{len(changed)} partition(s) differ; UpdateBehavior LOG keeps them",
                ),
                explain,
            )
    gone = [v for v in by_values if v not in found]
    if gone:
        shown = ", ".join("/".join(v) for v in gone[:5]) + (" …" if len(gone) > 5 else "")
        if definition.delete_behavior == DeleteBehavior.DELETE_FROM_DATABASE:
            plan.add(
                Action(
                    "delete_partitions",
                    old.name,
                    f"{len(gone)} partition(s) whose folders are gone: {shown}",
                    values=gone,
                ),
                explain,
            )
        else:
            plan.add(
                Action(
                    "log",
                    old.name,
                    f"{len(gone)} partition(s) whose folders are gone kept ({shown}); "
                    f"DeleteBehavior {definition.delete_behavior.value}",
                ),
                explain,
            )


def _plan_missing(
    definition: CrawlerDefinition,
    plan: Plan,
    tables: Iterable[Table],
    matched: set[str],
    include_uris: Sequence[str],
    explain: Explain,
) -> None:
    roots = [norm_location(u) for u in include_uris]
    for table in sorted(tables, key=lambda t: t.name):
        if table.name in matched or table.parameters.get(Param.UPDATED_BY_CRAWLER) != definition.name:
            continue
        loc = norm_location(table.location)
        if not any(loc == r or is_under(loc, r) for r in roots):
            continue
        behavior = definition.delete_behavior
        if behavior == DeleteBehavior.DELETE_FROM_DATABASE:
            plan.add(Action("delete_table", table.name, f"no data found at {table.location}"), explain)
        elif behavior == DeleteBehavior.DEPRECATE_IN_DATABASE:
            if table.parameters.get(Param.DEPRECATED_BY_CRAWLER):
                explain.add("plan", f"table {table.name}: already deprecated")
                continue
            marked = table.with_parameters(**{Param.DEPRECATED_BY_CRAWLER: definition.name})
            plan.add(
                Action("deprecate_table", table.name, f"no data found at {table.location}", marked),
                explain,
            )
        else:
            plan.add(
                Action(
                    "log",
                    table.name,
                    f"no data found at {table.location}; DeleteBehavior LOG keeps it",
                ),
                explain,
            )
