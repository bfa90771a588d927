"""Glue exclusion globs, matched against object paths relative to the include path.

Syntax (as Glue documents it):

- ``*`` any characters within one path component (never crosses ``/``);
- ``**`` any characters across components;
- ``?`` one character within a component;
- ``[abc]``, ``[a-z]``, ``[!a-c]`` one character from (or not from) a set;
- ``{a,b}`` alternatives (each may itself contain globs; groups do not nest);
- ``\\`` escapes the next character. A leading ``.`` is an ordinary character.

``*.csv`` therefore excludes ``a.csv`` at the top of the include path but not
``sub/a.csv``; ``**.csv`` excludes CSV files at every level; ``logs/**`` excludes everything
under ``logs/`` and lets the lister skip that folder without listing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from catalog.crawler.errors import InvalidExclusionPatternError

__all__ = ["ExclusionSet", "compile_glob"]


def _bracket(pattern: str, i: int) -> tuple[str, int]:
    """Translate ``[...]`` starting at ``pattern[i] == '['``; returns (regex, next index)."""
    j = i + 1
    negate = j < len(pattern) and pattern[j] in "!^"
    if negate:
        j += 1
    chars: list[str] = []
    if j < len(pattern) and pattern[j] == "]":  # a leading ] is literal
        chars.append(r"\]")
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        ch = pattern[j]
        if ch == "/":
            raise InvalidExclusionPatternError(pattern, "'/' is not allowed inside [...]")
        chars.append(ch if ch == "-" else re.escape(ch))
        j += 1
    if j >= len(pattern):
        raise InvalidExclusionPatternError(pattern, f"unclosed '[' at position {i}")
    if not chars:
        raise InvalidExclusionPatternError(pattern, f"empty bracket expression at position {i}")
    body = "".join(chars)
    return (f"[^/{body}]" if negate else f"[{body}]"), j + 1


def _translate(pattern: str, *, in_group: bool = False) -> str:
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise InvalidExclusionPatternError(pattern, "trailing '\\' escapes nothing")
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                out.append(".*")
                i += 2
            else:
                out.append("[^/]*")
                i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[":
            regex, i = _bracket(pattern, i)
            out.append(regex)
        elif ch == "{":
            if in_group:
                raise InvalidExclusionPatternError(pattern, "groups {…} cannot be nested")
            close = _group_end(pattern, i)
            alternatives = _split_group(pattern[i + 1 : close])
            out.append("(?:" + "|".join(_translate(a, in_group=True) for a in alternatives) + ")")
            i = close + 1
        elif ch == "}":
            raise InvalidExclusionPatternError(pattern, f"unmatched '}}' at position {i}")
        else:
            out.append(re.escape(ch))
            i += 1
    return "".join(out)


def _group_end(pattern: str, start: int) -> int:
    i = start + 1
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "{":
            raise InvalidExclusionPatternError(pattern, "groups {…} cannot be nested")
        if pattern[i] == "}":
            return i
        i += 1
    raise InvalidExclusionPatternError(pattern, f"unclosed '{{' at position {start}")


def _split_group(body: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    i = 0
    depth = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            current.append(body[i : i + 2])
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        if ch == "," and not depth:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def compile_glob(pattern: str) -> re.Pattern[str]:
    """A regex that fully matches the relative paths ``pattern`` selects."""
    if not pattern or not pattern.strip():
        raise InvalidExclusionPatternError(pattern, "empty pattern")
    return re.compile(_translate(pattern.lstrip("/")), re.DOTALL)


@dataclass(frozen=True)
class _Rule:
    pattern: str
    regex: re.Pattern[str]
    folder_regex: re.Pattern[str] | None  # set when the pattern ends in ``**``


class ExclusionSet:
    """The compiled exclusion globs of one include path."""

    def __init__(self, patterns: Iterable[str] = ()):
        rules = []
        for p in patterns:
            regex = compile_glob(p)
            stripped = p.lstrip("/")
            # ``X**`` matches ``folder/`` iff X matches some prefix of it, and then every
            # path below the folder too: such folders need not be listed at all.
            prunes = stripped.endswith("**") and not stripped.endswith("\\**")
            rules.append(_Rule(p, regex, regex if prunes else None))
        self._rules = tuple(rules)

    @property
    def patterns(self) -> tuple[str, ...]:
        return tuple(r.pattern for r in self._rules)

    def __bool__(self) -> bool:
        return bool(self._rules)

    def match(self, rel_path: str) -> str | None:
        """The first pattern excluding the object at ``rel_path``, or None."""
        for rule in self._rules:
            if rule.regex.fullmatch(rel_path):
                return rule.pattern
        return None

    def match_folder(self, rel_folder: str) -> str | None:
        """The pattern that excludes everything under folder ``rel_folder`` (no trailing /)."""
        probe = rel_folder.strip("/") + "/"
        for rule in self._rules:
            if rule.folder_regex is not None and rule.folder_regex.fullmatch(probe):
                return rule.pattern
        return None
