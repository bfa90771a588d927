"""The one error base of lakeforge: declared fields, a message template, a transient marker.

A package declares one base (``DeltaStoreError(LakeforgeError)``) and narrow subclasses that
name their fields as annotations and say their message as a template over those fields::

    class TableNotFoundError(DeltaStoreError):
        \"\"\"No Delta table at the location.\"\"\"

        template = "no Delta table at {table}"
        table: str

    raise TableNotFoundError(table=uri)      # or TableNotFoundError(uri): fields in order

Fields become attributes; a field with a class-level default is optional. The template may use
properties of the class too (``{where}``). Errors a retry may cure mix in :class:`Transient`
*before* the package base (``class ConcurrentCommitError(Transient, DeltaStoreError)``), so
``except DeltaStoreError`` still catches them and a scheduler asks :func:`is_transient`.
Every error pickles with its fields (errors cross Spark and process boundaries).
"""

from __future__ import annotations

import inspect
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

__all__ = [
    "ConfigError",
    "InvalidOptionError",
    "LakeforgeError",
    "Transient",
    "TransientError",
    "is_transient",
    "reraise_translated",
]

_NOT_FIELDS = frozenset({"transient", "template", "fields"})


class LakeforgeError(Exception):
    """Base of every error raised by lakeforge."""

    transient: ClassVar[bool] = False
    template: ClassVar[str] = "{message}"
    message: str

    def __init__(self, *args: Any, **fields: Any) -> None:
        names = self.field_names()
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes at most {len(names)} positional fields {names}")
        for name, value in zip(names, args, strict=False):
            if name in fields:
                raise TypeError(f"{type(self).__name__}: field {name!r} given twice")
            fields[name] = value
        unknown = set(fields) - set(names)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown fields {sorted(unknown)}; declared: {names}")
        for name, value in fields.items():
            setattr(self, name, value)
        missing = [n for n in names if not hasattr(self, n) and n != "message"]
        if missing:
            raise TypeError(f"{type(self).__name__}: missing fields {missing}")
        super().__init__(self._render())

    @classmethod
    def field_names(cls) -> list[str]:
        """The declared fields, base classes first, in declaration order."""
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for name in inspect.get_annotations(klass):
                if name not in _NOT_FIELDS and not name.startswith("_") and name not in names:
                    names.append(name)
        if "message" in names and "message" not in _template_names(cls.template):
            names.remove("message")
        return names

    @property
    def fields(self) -> dict[str, Any]:
        """The error's structured fields (for JSON output and logs)."""
        return {n: getattr(self, n, None) for n in self.field_names()}

    def _render(self) -> str:
        return self.template.format_map(_Lookup(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class Transient:
    """Mixin for errors a retry of the same operation may cure (throttling, timeouts, races)."""

    transient: ClassVar[bool] = True


class TransientError(Transient, LakeforgeError):
    """A transient failure with no narrower class."""


class InvalidOptionError(LakeforgeError):
    """An option has an invalid value; ``expected`` says what would be valid."""

    template = "{option}: expected {expected}, got {value!r}"
    option: str
    value: object
    expected: str


class ConfigError(LakeforgeError):
    """Configuration is missing, malformed or contradictory."""

    template = "{message}{where}"
    message: str
    key: str | None = None
    source: str | None = None

    @property
    def where(self) -> str:
        if self.key and self.source:
            return f" ({self.key} from {self.source})"
        return f" ({self.key})" if self.key else ""


def is_transient(exc: BaseException) -> bool:
    """True when retrying the operation that raised ``exc`` may succeed."""
    return bool(getattr(exc, "transient", False))


class _Lookup(dict[str, Any]):
    def __init__(self, error: LakeforgeError) -> None:
        super().__init__()
        self._error = error

    def __missing__(self, key: str) -> Any:
        return getattr(self._error, key)


def _template_names(template: str) -> set[str]:
    return {name.split(".")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def _restore(cls: type[LakeforgeError], args: tuple[Any, ...], state: dict[str, Any]) -> LakeforgeError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


@contextmanager
def reraise_translated(translate: Callable[[Exception], LakeforgeError | None]) -> Iterator[None]:
    """Re-raise a foreign exception inside the block as ``translate(exc)`` when that names it.

    Lakeforge errors pass through; an exception ``translate`` returns ``None`` for is re-raised as is.
    """
    try:
        yield
    except LakeforgeError:
        raise
    except Exception as exc:
        translated = translate(exc)
        if translated is None:
            raise
        raise translated from exc
