"""Base exceptions shared by every lakeforge package.

Each package defines narrow subclasses carrying structured fields. The ``transient``
flag tells a scheduler whether retrying the same operation may succeed.
"""

from __future__ import annotations

__all__ = ["ConfigError", "LakeforgeError", "TerminalError", "TransientError"]


class LakeforgeError(Exception):
    """Base of every error raised by lakeforge."""

    transient: bool = False


class TransientError(LakeforgeError):
    """A failure that may succeed when retried (throttling, timeouts, lost races)."""

    transient = True


class TerminalError(LakeforgeError):
    """A failure that will not go away by retrying (bad input, missing table)."""

    transient = False


class ConfigError(TerminalError):
    """Configuration is missing, malformed or contradictory."""

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None):
        self.key = key
        self.source = source
        where = f" ({key} from {source})" if key and source else (f" ({key})" if key else "")
        super().__init__(f"{message}{where}")
