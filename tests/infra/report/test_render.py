"""The rendered report: one self-contained file, every section, every chart a valid embedded PNG."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image
from report_testkit import parse_report

from infra.report import (
    SECTIONS,
    IngestBatch,
    IngestSection,
    ModelSection,
    ReportData,
    StageTiming,
    Tuning,
    TuningTrial,
    render_report,
)

PNG_PREFIX = "data:image/png;base64,"
EXPECTED_CHARTS = {"stage-timings", "ingest-throughput", "ingest-freshness", "quality-rules", "roc", "pr",
                   "confusion", "importance", "trials", "drift-psi"}


def test_every_section_is_present_in_lifecycle_order(rendered_report: Path) -> None:
    report = parse_report(rendered_report.read_text(encoding="utf-8"))

    assert [(s.id, s.heading) for s in report.sections] == [(sid, heading) for sid, heading, _ in SECTIONS]
    assert report.title == "lakeforge lifecycle report: demo-20261201T090000Z"
    assert all("not run" not in s.text for s in report.sections)
    summary = report.section("summary").text
    for stage in ("simulate", "ingest", "crawl", "views", "etl", "train", "predict", "serve", "monitor", "report"):
        assert stage in summary
    assert "151.4 s" in summary
    lineage = report.section("lineage").text
    for hop in ("heart", "s3://lakeforge/raw/heart/", "bronze.heart@v8", "silver.patients@v2",
                "gold.heart_vitals@v4", "ml.heart_features", "heart_disease:3", "ml.heart_predictions@v0"):
        assert hop in lineage
    assert "JOIN silver.patients" in lineage  # the view's SQL
    assert "resting_bp, cholesterol" in report.section("drift").text


def test_every_image_is_an_embedded_png_that_decodes(rendered_report: Path) -> None:
    text = rendered_report.read_text(encoding="utf-8")
    report = parse_report(text)

    assert len(report.images) == len(EXPECTED_CHARTS)
    for image in report.images:
        assert image["src"].startswith(PNG_PREFIX)
        assert len(image["alt"]) > 20, image["alt"]
        png = base64.b64decode(image["src"][len(PNG_PREFIX):], validate=True)
        with Image.open(io.BytesIO(png)) as decoded:
            decoded.load()
            assert decoded.format == "PNG"
            width, height = decoded.size
        assert 300 <= width <= 2000 and 200 <= height <= 2000, (image["alt"][:40], decoded.size)
        assert (image["width"], image["height"]) == (str(width), str(height))
    charts_by_section = {s.id: len(s.images) for s in report.sections}
    assert charts_by_section == {"summary": 1, "ingest": 2, "quality": 1, "model": 4, "tuning": 1,
                                 "predictions": 0, "endpoint": 0, "drift": 1, "lineage": 0}
    assert 'id="chart-' in text and {f'id="chart-{c}"' in text for c in EXPECTED_CHARTS} == {True}


def test_the_file_needs_nothing_from_the_network(rendered_report: Path) -> None:
    report = parse_report(rendered_report.read_text(encoding="utf-8"))

    assert report.external == []
    assert report.scripts == 0
    assert "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:" in \
        rendered_report.read_text(encoding="utf-8")


def test_missing_sections_say_not_run_and_a_failed_stage_says_why(tmp_path: Path) -> None:
    data = ReportData(
        run_id="r-partial", started_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
        stages=[StageTiming("ingest", "ok", 3.0, 100), StageTiming("train", "failed", 1.2, error="no rows in ml.x")],
        ingest=IngestSection("heart", [IngestBatch(0, 100, 3.0)]),
    )
    report = parse_report(render_report(data, tmp_path / "r.html").read_text(encoding="utf-8"))

    assert [s.id for s in report.sections] == [sid for sid, _, _ in SECTIONS]
    assert "not run" not in report.section("ingest").text
    assert report.section("model").text.strip().endswith("not run: stage train failed: no rows in ml.x")
    for section in ("quality", "predictions", "endpoint", "drift", "lineage"):
        assert report.section(section).text.strip().endswith("not run"), section
    assert "(still running)" in report.section("summary").text
    # ingest without freshness: the throughput chart is drawn, the freshness chart says why not
    assert len(report.section("ingest").images) == 1
    assert "cannot draw the ingest freshness chart: the run measured no arrival-to-visible times" in \
        report.section("ingest").text


def test_a_degenerate_chart_is_replaced_by_one_line_not_an_error(tmp_path: Path) -> None:
    tuning = Tuning("roc_auc", True, [TuningTrial(0, {"maxDepth": 3}, None, 1.0, "FAILED")])
    data = ReportData(run_id="r-degenerate", started_at=datetime(2026, 12, 1, tzinfo=UTC),
                      model=ModelSection("m", 1, "binary", tuning=tuning))
    report = parse_report(render_report(data, tmp_path / "r.html").read_text(encoding="utf-8"))

    assert report.images == []
    assert "cannot draw the tuning trials chart: none of the 1 trials has a metric" in report.section("tuning").text
    assert "cannot draw the ROC chart: the binary evaluation has no ROC curve" in report.section("model").text
    assert "no stages recorded" in report.section("summary").text


def test_text_from_the_data_is_escaped(tmp_path: Path) -> None:
    data = ReportData(run_id="r-escape", started_at=datetime(2026, 12, 1, tzinfo=UTC),
                      stages=[StageTiming("<script>alert(1)</script>", "failed", 1.0, error="a < b & c")])
    text = render_report(data, tmp_path / "r.html").read_text(encoding="utf-8")

    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "a &lt; b &amp; c" in text
