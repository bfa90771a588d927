"""The step graph: dependency order, cycles, downstream closure."""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["downstream_of", "find_cycle", "topological_order"]


def find_cycle(deps: Mapping[str, Sequence[str]]) -> tuple[str, ...] | None:
    """A cycle of ``{step: [steps it depends on]}`` as ``(a, b, …, a)``, or ``None``."""
    try:
        graphlib.TopologicalSorter(deps).prepare()
    except graphlib.CycleError as exc:
        found = exc.args[1]  # graphlib lists it dependency-first: reverse to read "a needs b"
        return tuple(reversed(found))
    return None


def topological_order(deps: Mapping[str, Sequence[str]]) -> list[str]:
    """Steps so that each comes after everything it depends on; ties keep declaration order.

    Raises :class:`graphlib.CycleError` on a cycle (specs are checked with :func:`find_cycle`
    when they load, so a loaded pipeline never has one).
    """
    position = {name: i for i, name in enumerate(deps)}
    sorter = graphlib.TopologicalSorter(deps)
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda n: position.get(n, len(position)))
        order.extend(ready)
        sorter.done(*ready)
    return order


def downstream_of(deps: Mapping[str, Sequence[str]], roots: Iterable[str]) -> set[str]:
    """Every step that depends, directly or not, on one of ``roots`` (roots excluded)."""
    children: dict[str, list[str]] = {}
    for step, parents in deps.items():
        for parent in parents:
            children.setdefault(parent, []).append(step)
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen
