"""Errors of the lifecycle report: bad input data, a chart that cannot be drawn, a failed upload."""

from __future__ import annotations

from infra.errors import InfraError

__all__ = ["ChartInputError", "ReportDataError", "ReportError", "ReportUploadError"]


class ReportError(InfraError):
    """The lifecycle report cannot be built or stored."""


class ReportDataError(ReportError):
    """A field of the report's input data is malformed."""

    template = "report data: {field}: {problem}"
    field: str
    problem: str


class ChartInputError(ReportError):
    """A chart's input is empty or degenerate; the report shows this line instead of the chart."""

    template = "cannot draw the {chart} chart: {problem}"
    chart: str
    problem: str


class ReportUploadError(ReportError):
    """The report could not be copied into the lake."""

    template = "cannot upload the report {path} to {uri}: {reason}"
    path: str
    uri: str
    reason: str
