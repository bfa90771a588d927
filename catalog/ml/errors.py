"""Errors of training over the catalog: resolving a spec's source and reproducing a model version."""

from __future__ import annotations

from lake.errors import LakeforgeError

__all__ = ["MLCatalogError", "ReproduceError", "TrainingSourceError"]


class MLCatalogError(LakeforgeError):
    """Base of the catalog ML layer's errors."""


class TrainingSourceError(MLCatalogError):
    """A spec's ``source``/``sql`` cannot be read as asked."""

    template = "training source {source}: {reason}"
    source: str
    reason: str


class ReproduceError(MLCatalogError):
    """A model version cannot be retrained on exactly the data it read."""

    template = "cannot reproduce {ref}: {reason}"
    ref: str
    reason: str
