"""Table grouping: similarity, distinct-schema limit, depth, format, CombineCompatibleSchemas,
explicit table level, Delta roots."""

from __future__ import annotations

import pytest

from catalog.crawler.classifiers import DeltaSnapshot
from catalog.crawler.errors import CrawlerError
from catalog.crawler.explain import Explain
from catalog.crawler.grouping import GroupingPolicy, group_leaves, jaccard
from catalog.crawler.leaves import Compat, Leaf
from catalog.types import parse_type


def leaf(rel: str, *names: str, fmt: str = "json", delta: bool = False) -> Leaf:
    columns = [(n, parse_type("int")) for n in names]
    snap = DeltaSnapshot(0, columns, [], 1, 10, 1) if delta else None
    return Leaf(rel, f"/lake/{rel}/", 1, 10, Compat("delta" if delta else fmt), columns, delta=snap)


def groups(leaves: list[Leaf], **policy) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    out = group_leaves(leaves, GroupingPolicy(**policy), Explain(), include_level=2)
    return {g.root: [x.rel for x in g.leaves] for g in out}


def test_jaccard() -> None:
    assert jaccard(frozenset("ab"), frozenset("abc")) == pytest.approx(2 / 3)
    assert jaccard(frozenset(), frozenset()) == 1.0


def test_similar_partitions_make_one_table() -> None:
    leaves = [leaf(f"t/dt={d}", "a", "b", "c") for d in range(3)] + [leaf("t/dt=9", "a", "b", "c", "d")]
    assert groups(leaves) == {"": ["t/dt=0", "t/dt=1", "t/dt=2", "t/dt=9"]}


def test_dissimilar_siblings_are_separate_tables() -> None:
    assert groups([leaf("a", "x", "y"), leaf("b", "p", "q")]) == {"a": ["a"], "b": ["b"]}


def test_more_than_five_distinct_schemas_split_even_when_similar() -> None:
    base = [f"c{i}" for i in range(20)]
    leaves = [leaf(f"p{i}", *base, f"extra{i}") for i in range(6)]
    assert len(groups(leaves)) == 6
    assert len(groups(leaves[:5])) == 1


def test_combine_compatible_schemas_ignores_similarity() -> None:
    leaves = [leaf("a", "x", "y"), leaf("b", "p", "q")]
    assert groups(leaves, combine_compatible_schemas=True) == {"": ["a", "b"]}


def test_combine_compatible_schemas_still_needs_one_format_and_depth() -> None:
    leaves = [leaf("a", "x"), leaf("b", "x", fmt="parquet")]
    assert len(groups(leaves, combine_compatible_schemas=True)) == 2
    leaves = [leaf("a/1", "x"), leaf("b", "x")]
    assert len(groups(leaves, combine_compatible_schemas=True)) == 2


def test_files_next_to_subfolders_are_their_own_table() -> None:
    leaves = [leaf("t", "a"), leaf("t/sub", "a")]
    assert groups(leaves) == {"t": ["t"], "t/sub": ["t/sub"]}


def test_delta_root_is_never_a_partition() -> None:
    leaves = [leaf("d1", "a", delta=True), leaf("d2", "a", delta=True)]
    assert groups(leaves) == {"d1": ["d1"], "d2": ["d2"]}


def test_explicit_table_level_overrides_similarity() -> None:
    # include path /lake/x is level 2; tables at level 3 are its direct sub-folders
    leaves = [leaf("sales/2024", "a"), leaf("sales/2023", "zzz"), leaf("users/1", "b")]
    assert groups(leaves, table_level=3) == {"sales": ["sales/2023", "sales/2024"], "users": ["users/1"]}
    assert groups(leaves, table_level=2) == {"": ["sales/2023", "sales/2024", "users/1"]}


def test_table_level_skips_folders_above_it_and_drops_mismatched_depths() -> None:
    leaves = [leaf("", "a"), leaf("t/x", "a"), leaf("t/y/z", "a")]
    log = Explain()
    out = group_leaves(leaves, GroupingPolicy(table_level=3), log, include_level=2)
    assert [(g.root, [x.rel for x in g.leaves], g.dropped) for g in out] == [("t", ["t/x"], ["t/y/z"])]
    assert any("above the table level" in m for m in log.section("grouping"))


def test_table_level_above_the_include_path_is_an_error() -> None:
    with pytest.raises(CrawlerError, match="above the include path"):
        group_leaves([leaf("a", "x")], GroupingPolicy(table_level=1), Explain(), include_level=2)


def test_pinned_tables_are_never_absorbed() -> None:
    leaves = [leaf("new", "a")]
    out = group_leaves(leaves, GroupingPolicy(), Explain(), include_level=2, pinned=["old"])
    assert [g.root for g in out] == ["new"]
