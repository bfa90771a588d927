"""Step order and cycles."""

from __future__ import annotations

import graphlib
import itertools

import pytest

from infra.pipelines.dag import downstream_of, find_cycle, topological_order


def test_dependencies_come_first_and_ties_keep_declaration_order() -> None:
    deps = {"extract": (), "load": ("transform",), "transform": ("extract",), "audit": (), "report": ("load",)}
    order = topological_order(deps)
    assert order == ["extract", "audit", "transform", "load", "report"]


def test_diamond() -> None:
    deps = {"a": (), "b": ("a",), "c": ("a",), "d": ("b", "c")}
    order = topological_order(deps)
    assert order.index("a") < order.index("b") < order.index("d")
    assert order.index("c") < order.index("d")


def test_cycle_is_found_and_reads_as_depends_on() -> None:
    cycle = find_cycle({"a": ("b",), "b": ("c",), "c": ("a",), "d": ()})
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    deps = {"a": ("b",), "b": ("c",), "c": ("a",)}
    for step, needed in itertools.pairwise(cycle):
        assert needed in deps[step]
    with pytest.raises(graphlib.CycleError):
        topological_order({"a": ("a",)})


def test_no_cycle() -> None:
    assert find_cycle({"a": (), "b": ("a",)}) is None


def test_downstream_closure() -> None:
    deps = {"a": (), "b": ("a",), "c": ("b",), "d": (), "e": ("d", "c")}
    assert downstream_of(deps, ["b"]) == {"c", "e"}
    assert downstream_of(deps, ["d"]) == {"e"}
