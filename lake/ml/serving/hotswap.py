"""The served model and its hot swap: poll a resolver, load a new version fully, then swap.

``resolve()`` returns the version the endpoint should serve now (a :class:`ModelPackage`, or a
``(version, onnx_bytes, signature)`` tuple) — e.g. ``MODEL@champion`` in the registry. A
background thread calls it every ``poll_seconds``; when the version changes, the new scorer is
built and warmed up *before* one reference assignment makes it current, so requests in flight
finish on the old scorer and no request ever sees a half-loaded model. A failing poll or load
keeps the current model serving (counted, logged, retried at the next poll).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lake.ml.errors import ServingError
from lake.ml.export.signature import Signature
from lake.ml.serving.scorer import BaseScorer, Scorer

__all__ = ["Builder", "ModelHolder", "ModelPackage", "Resolver", "onnx_builder"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelPackage:
    """One model version to serve: the ONNX bytes and signature, or a ``payload`` for another builder."""

    version: int | str
    model_bytes: bytes | None = None
    signature: Signature | None = None
    payload: Any = None


Resolver = Callable[[], "ModelPackage | tuple[int | str, bytes, Signature | None]"]
Builder = Callable[[ModelPackage], BaseScorer]


def onnx_builder(name: str, *, threads: int = 1) -> Builder:
    """Build an onnxruntime :class:`Scorer` from a package's bytes."""

    def build(package: ModelPackage) -> BaseScorer:
        if package.model_bytes is None:
            raise ServingError(f"model {name} version {package.version} has no ONNX bytes to serve")
        return Scorer(package.model_bytes, name=name, version=package.version, signature=package.signature,
                      threads=threads)

    return build


def _package(value: Any) -> ModelPackage:
    if isinstance(value, ModelPackage):
        return value
    if isinstance(value, tuple) and len(value) == 3:
        return ModelPackage(version=value[0], model_bytes=value[1], signature=value[2])
    raise ServingError(f"the model resolver returned {type(value).__name__}; expected a ModelPackage or a "
                       "(version, onnx_bytes, signature) tuple")


class ModelHolder:
    """Holds the current scorer; ``start()`` polls ``resolve`` and swaps in new versions."""

    def __init__(self, name: str, resolve: Resolver, *, build: Builder | None = None,
                 poll_seconds: float = 10.0) -> None:
        self.name = name
        self.resolve = resolve
        self.build = build or onnx_builder(name)
        self.poll_seconds = poll_seconds
        self._current: BaseScorer | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.swaps = 0
        self.poll_errors = 0
        self.last_error: str | None = None

    @property
    def current(self) -> BaseScorer:
        scorer = self._current
        if scorer is None:
            raise ServingError(f"no version of model {self.name} is loaded")
        return scorer

    @property
    def loaded(self) -> bool:
        return self._current is not None

    def load(self) -> BaseScorer:
        """Resolve and load the current version now (errors propagate: a server must not start without a model)."""
        self.refresh(raise_errors=True)
        return self.current

    def refresh(self, *, raise_errors: bool = False) -> bool:
        """One poll: load and swap in the resolved version if it differs; True when a swap happened."""
        try:
            package = _package(self.resolve())
            current = self._current
            if current is not None and str(current.version) == str(package.version):
                return False
            scorer = self.build(package)
            scorer.warm_up()
        except Exception as exc:
            self.poll_errors += 1
            self.last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            if raise_errors:
                raise
            log.warning("model %s: keeping version %s, the refresh failed: %s", self.name,
                        self._current.version if self._current else None, self.last_error)
            return False
        previous = self._current
        self._current = scorer
        if previous is not None:
            self.swaps += 1
            log.info("model %s: now serving version %s (was %s)", self.name, scorer.version, previous.version)
        return True

    def start(self) -> None:
        """Poll in a daemon thread every ``poll_seconds`` (no-op if ``poll_seconds`` <= 0)."""
        if self.poll_seconds <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"model-poll-{self.name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            started = time.monotonic()
            self.refresh()
            log.debug("model %s: poll took %.3fs", self.name, time.monotonic() - started)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def stats(self) -> dict[str, Any]:
        return {"model": self.name, "version": self._current.version if self._current else None,
                "kind": self._current.kind if self._current else None, "swaps": self.swaps,
                "poll_errors": self.poll_errors, "last_error": self.last_error}
