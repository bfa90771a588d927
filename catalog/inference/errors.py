"""Errors of the catalog's inference wiring (batch predict, monitoring, endpoints' tables)."""

from __future__ import annotations

from catalog.errors import CatalogError

__all__ = ["BaselineMissingError", "EndpointUnavailableError", "InferenceError", "InputResolutionError",
           "OutputTableError"]


class InferenceError(CatalogError):
    """Base of the inference wiring's errors."""


class InputResolutionError(InferenceError):
    """An ``--input``/``--where`` cannot be read as a catalog table or view."""

    template = "input {name}: {reason}"
    name: str
    reason: str


class OutputTableError(InferenceError):
    """The output table cannot take the write (not Delta, a view, a bad name …)."""

    template = "output {name}: {reason}"
    name: str
    reason: str


class BaselineMissingError(InferenceError):
    """The model version has no monitoring baseline logged with its run."""

    template = ("{model} has no monitoring baseline (artifact {artifact}/ of run {run_id}); retrain it with "
                "lake train, which logs one with every version")
    model: str
    artifact: str
    run_id: str


class EndpointUnavailableError(InferenceError):
    """No running ``lake serve`` endpoint of that name."""

    template = "no running model endpoint {name!r} ({reason}); start it with lake serve MODEL --name {name}; " \
               "running endpoints: {known_text}"
    name: str
    reason: str
    known: list[str]

    @property
    def known_text(self) -> str:
        return ", ".join(self.known) or "none"
