"""Hyperparameter value kinds: each checks a spec value, converts it, and describes itself for docs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lake.ml.errors import SpecError

__all__ = ["Bool", "Choice", "Float", "Int", "IntList", "Kind", "OneOf", "Word"]


class Kind(Protocol):
    """A value kind: ``check`` returns the converted value or raises :class:`SpecError` naming ``key``."""

    def check(self, key: str, value: Any) -> Any: ...

    def describe(self) -> str: ...


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Int:
    """An integer in ``[low, high]`` (``high`` None: unbounded)."""

    low: int | None = None
    high: int | None = None

    def check(self, key: str, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise SpecError(key=key, reason=f"expected an integer {self.describe()}, got {value!r}")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise SpecError(key=key, reason=f"expected an integer {self.describe()}, got {value}")
        return value

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            return f"in [{self.low}, {self.high}]"
        if self.low is not None:
            return f">= {self.low}"
        return f"<= {self.high}" if self.high is not None else ""


@dataclass(frozen=True)
class Float:
    """A finite number in a range; ``open_low``/``open_high`` exclude the ends."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False

    def check(self, key: str, value: Any) -> float:
        if not _is_number(value) or not math.isfinite(value):
            raise SpecError(key=key, reason=f"expected a number {self.describe()}, got {value!r}")
        value = float(value)
        too_low = self.low is not None and (value <= self.low if self.open_low else value < self.low)
        too_high = self.high is not None and (value >= self.high if self.open_high else value > self.high)
        if too_low or too_high:
            raise SpecError(key=key, reason=f"expected a number {self.describe()}, got {value:g}")
        return value

    def describe(self) -> str:
        left = "(" if self.open_low else "["
        right = ")" if self.open_high else "]"
        if self.low is not None and self.high is not None:
            return f"in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            return f"{'>' if self.open_low else '>='} {self.low:g}"
        return f"{'<' if self.open_high else '<='} {self.high:g}" if self.high is not None else ""


@dataclass(frozen=True)
class Bool:
    """``true`` or ``false``."""

    def check(self, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise SpecError(key=key, reason=f"expected true or false, got {value!r}")
        return value

    def describe(self) -> str:
        return "true | false"


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of strings."""

    values: tuple[str, ...]

    def check(self, key: str, value: Any) -> str:
        if value not in self.values:
            raise SpecError(key=key, reason=f"invalid value {value!r}", valid=self.values,
                            got=value if isinstance(value, str) else None)
        return str(value)

    def describe(self) -> str:
        return " | ".join(self.values)


@dataclass(frozen=True)
class Word:
    """A single literal string (``"auto"``), used inside :class:`OneOf`."""

    word: str

    def check(self, key: str, value: Any) -> str:
        if value != self.word:
            raise SpecError(key=key, reason=f"expected {self.word!r}, got {value!r}")
        return self.word

    def describe(self) -> str:
        return f'"{self.word}"'


@dataclass(frozen=True)
class IntList:
    """A list of integers each ``>= low`` (``min_length`` entries at least)."""

    low: int = 1
    min_length: int = 0

    def check(self, key: str, value: Any) -> list[int]:
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise SpecError(key=key, reason=f"expected a list of integers >= {self.low}, got {value!r}")
        items = [Int(self.low).check(key, v) for v in value]
        if len(items) < self.min_length:
            raise SpecError(key=key, reason=f"expected at least {self.min_length} entries, got {len(items)}")
        return items

    def describe(self) -> str:
        return f"list of integers >= {self.low}"


@dataclass(frozen=True)
class OneOf:
    """The first kind that accepts the value (e.g. an integer or ``"auto"``)."""

    kinds: tuple[Kind, ...]

    def check(self, key: str, value: Any) -> Any:
        for kind in self.kinds:
            try:
                return kind.check(key, value)
            except SpecError:
                continue
        raise SpecError(key=key, reason=f"expected {self.describe()}, got {value!r}")

    def describe(self) -> str:
        return " or ".join(k.describe() for k in self.kinds)
