"""A realistic :class:`ReportData`: synthetic, but every section built from the real stage shapes.

Imported as ``report_testkit`` (the conftest puts this directory on ``sys.path``). Ingest rows come
from ``BatchMetrics.to_arrow()``, quality rows from ``QualityResult.to_row()``, the model from a
real ``evaluate_arrays`` evaluation and a ``TuneResult``, drift from rows shaped like
``ml.monitor_metrics`` / ``ml.monitor_violations``, lineage from a training lineage record. :func:`parse_report` reads a
rendered report back with the stdlib HTML parser.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import numpy as np

from infra.report import (
    BatchPredictions,
    DriftSection,
    EndpointSample,
    EndpointSummary,
    FeatureImportance,
    IngestSection,
    Lineage,
    ModelSection,
    QualitySection,
    ReportData,
    StageTiming,
    Tuning,
)
from lake.ml.evaluate import evaluate_arrays
from lake.ml.tune import Trial, TuneResult
from lake.quality.results import QualityResult, RuleAction, RuleKind, RuleStatus
from lake.stream.ingest.metrics import BatchMetrics

START = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)
FEATURES = ["age", "resting_bp", "cholesterol", "max_heart_rate", "st_depression", "sex", "chest_pain"]
VIEW_SQL = (
    "SELECT v.patient_id, v.age, v.resting_bp, v.cholesterol, v.max_heart_rate, v.st_depression,\n"
    "       p.sex, p.chest_pain, v.label\nFROM gold.heart_vitals v JOIN silver.patients p USING (patient_id)"
)


def ingest_rows(rng: np.random.Generator) -> list[dict]:
    rows = []
    at = START + timedelta(seconds=5)
    for batch in range(8):
        records = int(rng.integers(300, 700))
        m = BatchMetrics(job="ingest-heart", stream="heart", query_id="q-1", batch_id=batch, started_at=at,
                         duration_ms=int(rng.integers(900, 2500)), records_in=records,
                         valid_records=records - 3, error_records=3, shards=2,
                         max_latency_ms=int(rng.integers(1200, 4000)), raw_files=2,
                         bronze_version=batch + 1, bronze_committed=True)
        rows.extend(m.to_arrow().to_pylist())
        at += timedelta(seconds=float(rng.uniform(2.0, 4.0)))
    return rows


def quality_rows() -> list[dict]:
    def result(table: str, rule: str, kind: RuleKind, action: RuleAction, evaluated: int | None,
               failed: int | None, status: RuleStatus) -> dict:
        return QualityResult(run_id="etl-1", table=table, rule=rule, kind=kind, action=action, evaluated=evaluated,
                             failed=failed, status=status, seconds=0.4).to_row()

    return [
        result("bronze.heart", "malformed_json", RuleKind.RAW, RuleAction.DROP, 4120, 24, RuleStatus.DROPPED),
        result("silver.vitals", "valid_bp", RuleKind.ROW, RuleAction.DROP, 4096, 61, RuleStatus.DROPPED),
        result("silver.vitals", "age_in_range", RuleKind.ROW, RuleAction.WARN, 4096, 12, RuleStatus.WARNED),
        result("silver.vitals", "patient_id_not_null", RuleKind.ROW, RuleAction.FAIL, 4096, 0, RuleStatus.PASSED),
        result("gold.heart_vitals", "row_count_between", RuleKind.TABLE, RuleAction.FAIL, None, None,
               RuleStatus.PASSED),
        result("gold.heart_vitals", "unique_patient_day", RuleKind.TABLE, RuleAction.WARN, 4035, 7,
               RuleStatus.WARNED),
    ]


def model_section(rng: np.random.Generator) -> ModelSection:
    labels = rng.integers(0, 2, size=600).astype(np.float64)
    scores = np.clip(labels * 0.35 + rng.normal(0.35, 0.2, size=600), 0, 1)
    evaluation = evaluate_arrays("binary", labels, scores=scores, classes=["healthy", "disease"])
    trials = [Trial(index=i, params={"maxDepth": d, "stepSize": s}, metric=float(m), metric_std=0.01,
                    seconds=float(rng.uniform(2, 6)), status="OK")
              for i, (d, s, m) in enumerate([(3, 0.1, 0.81), (5, 0.1, 0.86), (7, 0.1, 0.84), (3, 0.3, 0.83),
                                             (5, 0.3, 0.88), (7, 0.3, 0.85)])]
    trials.append(Trial(index=6, params={"maxDepth": 9, "stepSize": 0.3}, metric=None, metric_std=None,
                        seconds=0.5, status="FAILED", error="OutOfMemory"))
    tune = TuneResult(trials=trials, best_index=4, best_params={"maxDepth": 5, "stepSize": 0.3}, best_metric=0.88,
                      metric="roc_auc", greater_is_better=True, strategy="grid", method="cv", fold_rows=[200, 200, 200],
                      seconds=24.0)
    importance = FeatureImportance(FEATURES, rng.dirichlet(np.ones(len(FEATURES))).tolist(), "importance")
    test = evaluation.to_dict()["metrics"]
    metrics = {"train": {k: min(1.0, v * 1.04) for k, v in test.items() if v is not None and k != "log_loss"},
               "validation": {k: v * 1.01 for k, v in test.items() if v is not None and k != "log_loss"},
               "test": {k: v for k, v in test.items() if v is not None}}
    return ModelSection.from_evaluation("heart_disease", 3, evaluation.to_dict(), metrics=metrics,
                                        run_id="5f2c9e0a1b", algorithm="gbt", importance=importance,
                                        tuning=Tuning.from_result(tune))


def drift_section() -> DriftSection:
    psi = {"age": 0.03, "resting_bp": 0.41, "cholesterol": 0.27, "max_heart_rate": 0.08, "st_depression": 0.12,
           "sex": 0.01, "chest_pain": 0.05}
    metrics = [{"run_id": "mon-1", "feature": f, "role": "feature", "kind": "numeric", "psi": p,
                "ks_statistic": p / 2, "ks_pvalue": 1e-6 if p > 0.2 else 0.4, "drifted": p > 0.2, "violations": 0,
                "baseline_count": 4035, "current_count": 800} for f, p in psi.items()]
    violations = [{"feature": "resting_bp", "check_type": "baseline_drift_check"},
                  {"feature": "cholesterol", "check_type": "baseline_drift_check"},
                  {"feature": "cholesterol", "check_type": "completeness_check"}]
    return DriftSection.from_monitor_rows(metrics, violations, psi_threshold=0.2, model="heart_disease:3")


def report_data() -> ReportData:
    rng = np.random.default_rng(7)
    stages = [StageTiming("simulate", "ok", 6.2, 4120), StageTiming("ingest", "ok", 21.4, 4096),
              StageTiming("crawl", "ok", 3.1, 1), StageTiming("views", "ok", 2.0, 3),
              StageTiming("etl", "warned", 31.7, 4035), StageTiming("train", "ok", 58.3, 4035),
              StageTiming("predict", "ok", 9.9, 800), StageTiming("serve", "ok", 4.2, 20),
              StageTiming("monitor", "warned", 12.5, 800), StageTiming("report", "ok", 2.1)]
    training_lineage = {
        "format": 1, "source": "ml.heart_features", "source_version": None, "expanded_sql": VIEW_SQL,
        "tables": [{"name": "gold.heart_vitals", "uri": "s3://lakeforge/gold/heart_vitals", "version": 4},
                   {"name": "silver.patients", "uri": "s3://lakeforge/silver/patients", "version": 2},
                   {"name": "bronze.heart", "uri": "s3://lakeforge/bronze/heart", "version": 8}],
    }
    body = json.dumps({"instances": [{"age": 61, "resting_bp": 148, "cholesterol": 203, "sex": "M"}]})
    return ReportData(
        run_id="demo-20261201T090000Z", started_at=START, finished_at=START + timedelta(seconds=151.4),
        stages=stages,
        ingest=IngestSection.from_metrics_rows("heart", ingest_rows(rng), freshness_s=rng.gamma(2.0, 0.8, 500).tolist(),
                                               raw_path="s3://lakeforge/raw/heart/", bronze_table="bronze.heart"),
        quality=QualitySection.from_rows(quality_rows(), run_id="etl-1"),
        model=model_section(rng),
        predictions=BatchPredictions("ml.heart_predictions", 800, version=0, model="heart_disease:3", seconds=9.9,
                                     prediction_counts={"healthy": 512, "disease": 288}),
        endpoint=EndpointSummary("http://127.0.0.1:8080/invocations", 20, 4.1, 11.8, model="heart_disease:3",
                                 samples=[EndpointSample(body, '{"predictions": [{"label": "disease", '
                                                               '"probability": 0.81}]}', 200, 4.0)]),
        drift=drift_section(),
        lineage=Lineage.from_training(training_lineage, stream="heart", raw_path="s3://lakeforge/raw/heart/",
                                      model=("heart_disease", 3, "5f2c9e0a1b"),
                                      predictions=("ml.heart_predictions", 0)),
        context={"profile": "moto", "lake": "s3://lakeforge", "records": "4000"},
    )


@dataclass
class ParsedSection:
    id: str
    heading: str = ""
    text: str = ""
    images: list[dict[str, str]] = field(default_factory=list)


@dataclass
class ParsedReport:
    """What the stdlib HTML parser saw: sections in order, every image, every external reference."""

    title: str = ""
    sections: list[ParsedSection] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    scripts: int = 0

    def section(self, section_id: str) -> ParsedSection:
        return next(s for s in self.sections if s.id == section_id)


class _ReportParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.report = ParsedReport()
        self._stack: list[str] = []
        self._section: ParsedSection | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self._stack.append(tag)
        if tag == "section":
            self._section = ParsedSection(values.get("id", ""))
            self.report.sections.append(self._section)
        if tag == "img":
            self.report.images.append(values)
            if self._section is not None:
                self._section.images.append(values)
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.report.scripts += tag == "script"
            self.report.external.append(f"<{tag}>")
        for key in ("src", "href", "srcset", "data"):
            ref = values.get(key)
            if ref and not ref.startswith(("data:image/png;base64,", "#")):
                self.report.external.append(ref)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._stack.pop()

    def handle_endtag(self, tag: str) -> None:
        while self._stack and self._stack.pop() != tag:
            pass
        if tag == "section":
            self._section = None

    def handle_data(self, data: str) -> None:
        current = self._stack[-1] if self._stack else ""
        if current == "title":
            self.report.title += data
        if self._section is None:
            return
        if current == "h2":
            self._section.heading += data
        self._section.text += data


def parse_report(text: str) -> ParsedReport:
    parser = _ReportParser()
    parser.feed(text)
    parser.close()
    return parser.report
