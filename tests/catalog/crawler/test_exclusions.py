"""Glue exclusion globs: * ** ? [..] {a,b} matched against paths relative to the include path."""

from __future__ import annotations

import pytest

from catalog.crawler import InvalidExclusionPatternError
from catalog.crawler.exclusions import ExclusionSet


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("*.csv", "a.csv", True),
        ("*.csv", "sub/a.csv", False),  # * never crosses '/'
        ("**.csv", "sub/deeper/a.csv", True),
        ("**/*.csv", "sub/a.csv", True),
        ("logs/**", "logs/2024/01/x.json", True),
        ("logs/**", "logs2/x.json", False),
        ("data?.json", "data1.json", True),
        ("data?.json", "data12.json", False),
        ("part-[0-4].json", "part-3.json", True),
        ("part-[0-4].json", "part-7.json", False),
        ("part-[!0-4].json", "part-7.json", True),
        ("{raw,tmp}/**", "tmp/a", True),
        ("{raw,tmp}/**", "gold/a", False),
        ("year=2024/{month=01,month=02}/*", "year=2024/month=02/x", True),
        ("*.{gz,bz2}", "a.bz2", True),
        ("\\*.txt", "*.txt", True),
        ("\\*.txt", "a.txt", False),
        (".hidden*", ".hidden-file", True),  # a leading dot is an ordinary character
    ],
)
def test_glob_matching(pattern: str, path: str, excluded: bool) -> None:
    assert (ExclusionSet([pattern]).match(path) == pattern) is excluded


def test_folders_under_a_double_star_pattern_are_pruned_whole() -> None:
    rules = ExclusionSet(["logs/**", "**/_tmp/**", "*.csv"])
    assert rules.match_folder("logs") == "logs/**"
    assert rules.match_folder("logs/2024") == "logs/**"
    assert rules.match_folder("a/b/_tmp") == "**/_tmp/**"
    assert rules.match_folder("data") is None  # *.csv excludes files, not folders


@pytest.mark.parametrize("pattern", ["[abc", "{a,b", "a}", "{a,{b,c}}", "", "x\\", "[]"])
def test_invalid_patterns_name_the_problem(pattern: str) -> None:
    with pytest.raises(InvalidExclusionPatternError, match="exclusion pattern"):
        ExclusionSet([pattern])
