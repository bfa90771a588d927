"""Model names, aliases and reference strings (``NAME``, ``NAME:VERSION``, ``NAME@ALIAS``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lake.ml.errors import InvalidAliasError, InvalidModelNameError, InvalidModelReferenceError

__all__ = ["ModelRef", "validate_alias", "validate_name"]

# Safe as an MLflow model/experiment name, an S3 key segment and inside a reference string.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}")
_ALIAS = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,99}")
_VERSION_LIKE = re.compile(r"[vV]\d+")


def validate_name(name: str, what: str = "model") -> str:
    """``name`` if it is a valid model (or experiment) name, else :class:`InvalidModelNameError`."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise InvalidModelNameError(name=str(name), what=what)
    return name


def validate_alias(alias: str) -> str:
    """``alias`` if MLflow accepts it and it cannot be mistaken for a version."""
    if not isinstance(alias, str) or not _ALIAS.fullmatch(alias):
        raise InvalidAliasError(
            alias=str(alias), reason="use letters, digits, '_' and '-', starting with a letter or '_'"
        )
    if alias.lower() == "latest" or _VERSION_LIKE.fullmatch(alias):
        raise InvalidAliasError(alias=alias, reason="'latest' and 'v<number>' are reserved for versions")
    return alias


@dataclass(frozen=True)
class ModelRef:
    """A parsed model reference: a version, an alias, or neither (the latest version)."""

    name: str
    version: int | None = None
    alias: str | None = None

    @classmethod
    def parse(cls, text: str | ModelRef) -> ModelRef:
        """Parse ``NAME``, ``NAME:VERSION``, ``NAME:latest`` or ``NAME@ALIAS``."""
        if isinstance(text, ModelRef):
            return text
        raw = str(text).strip()
        if ":" in raw and "@" in raw:
            raise InvalidModelReferenceError(reference=raw, reason="give a version or an alias, not both")
        name, version, alias = raw, None, None
        if ":" in raw:
            name, _, tail = raw.partition(":")
            if tail.lower() != "latest":
                if not tail.isdigit() or int(tail) < 1:
                    raise InvalidModelReferenceError(
                        reference=raw, reason=f"version {tail!r} is not a positive integer"
                    )
                version = int(tail)
        elif "@" in raw:
            name, _, alias = raw.partition("@")
            if not alias:
                raise InvalidModelReferenceError(reference=raw, reason="empty alias")
        if not name or not _NAME.fullmatch(name):
            raise InvalidModelReferenceError(reference=raw, reason=f"{name!r} is not a valid model name")
        return cls(name=name, version=version, alias=alias)

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}:{self.version}"
        if self.alias is not None:
            return f"{self.name}@{self.alias}"
        return self.name
