"""The lifecycle report: one self-contained HTML file with plots, stored locally and in the lake.

Fill a :class:`ReportData` from what each stage returned, :func:`render_report` it to a local
file, then :func:`upload_report` it to ``<lake>/_reports/<run_id>/report.html``
(:func:`report_subpath`). Charts are matplotlib PNGs inlined as data URIs (see
:mod:`infra.report.charts` for why).
"""

from __future__ import annotations

from infra.report.errors import ChartInputError, ReportDataError, ReportError, ReportUploadError
from infra.report.html import SECTIONS, render_html, render_report
from infra.report.model import (
    BatchPredictions,
    DriftSection,
    EndpointSample,
    EndpointSummary,
    FeatureDrift,
    FeatureImportance,
    IngestBatch,
    IngestSection,
    Lineage,
    LineageNode,
    ModelSection,
    PrCurve,
    QualityRow,
    QualitySection,
    ReportData,
    RocCurve,
    StageTiming,
    Status,
    Tuning,
    TuningTrial,
)
from infra.report.upload import LOCAL_REPORTS_DIR, REPORTS_DIR, local_report_path, report_subpath, upload_report

__all__ = [
    "LOCAL_REPORTS_DIR",
    "REPORTS_DIR",
    "SECTIONS",
    "BatchPredictions",
    "ChartInputError",
    "DriftSection",
    "EndpointSample",
    "EndpointSummary",
    "FeatureDrift",
    "FeatureImportance",
    "IngestBatch",
    "IngestSection",
    "Lineage",
    "LineageNode",
    "ModelSection",
    "PrCurve",
    "QualityRow",
    "QualitySection",
    "ReportData",
    "ReportDataError",
    "ReportError",
    "ReportUploadError",
    "RocCurve",
    "StageTiming",
    "Status",
    "Tuning",
    "TuningTrial",
    "local_report_path",
    "render_html",
    "render_report",
    "report_subpath",
    "upload_report",
]
