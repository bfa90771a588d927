"""The monitor on the heart simulator's stream: ``--drift-after K`` is flagged, a no-drift stream is not.

Records come from the simulator's own emitter (no Kinesis): one run of 7,000 records with
``drift_after=5000`` gives a baseline window (0-2,999), a no-drift window (3,000-4,999) and a
drifted window (5,000-6,999), where records carry the new ``spo2`` field and a quarter of them
a string-typed ``cholesterol``. The drifted window is read two ways: as raw JSON lands
(``cholesterol`` a string column) and as the bronze table types it (the unreadable strings
become null and go to ``_rescued``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import roc_auc_score

from lake.ml.monitor import Baseline, MonitorResult, build_baseline, join_ground_truth, run_monitor
from lake.stream.simulator import HeartGenerator, SimulatorConfig, iter_emissions

pytestmark = pytest.mark.slow

FEATURES = list(HeartGenerator.feature_fields)
LABEL = "heart_disease"
DRIFT_AFTER = 5000
_STRINGS = ("record_id", "patient_id", "visit_id", "event_time", "clinic_id", "device_id", "sex",
            "chest_pain_type", "resting_ecg", "st_slope", "thal")
_INTS = ("age", "resting_bp", "cholesterol", "max_heart_rate", "num_major_vessels", LABEL)


def _records(count: int, *, drift_after: int | None = None, outlier_rate: float = 0.0) -> list[dict[str, Any]]:
    config = SimulatorConfig(
        generator="heart", records=count, seed=20261124, rate=0, drift_after=drift_after,
        outlier_rate=outlier_rate, start_time=datetime(2026, 11, 24, tzinfo=UTC),
    )
    rows = []
    for emission in iter_emissions(config):
        assert emission.kind == "valid" and emission.truth is not None
        rows.append({**emission.truth["record"], "p_true": emission.truth["p_true"],
                     "_drift_string": emission.truth["drift_string"]})
    return rows


def _frame(spark, rows: list[dict[str, Any]], cholesterol: str = "int"):  # type: ignore[no-untyped-def]
    """A DataFrame of records; ``cholesterol`` "raw" keeps the JSON text, "bronze" nulls unreadable strings."""
    fields = [pa.field(n, pa.string()) for n in _STRINGS] + [pa.field(n, pa.int64()) for n in _INTS]
    fields += [pa.field(n, pa.bool_()) for n in ("fasting_blood_sugar", "exercise_angina")]
    fields += [pa.field("st_depression", pa.float64()), pa.field("p_true", pa.float64())]
    if "spo2" in rows[0]:
        fields.append(pa.field("spo2", pa.int64()))
    out = []
    for row in rows:
        item = {k: v for k, v in row.items() if not k.startswith("_")}
        value = item["cholesterol"]
        if cholesterol == "raw":
            item["cholesterol"] = str(value)
        elif isinstance(value, str):
            item["cholesterol"] = None
        out.append(item)
    if cholesterol == "raw":
        fields = [pa.field("cholesterol", pa.string()) if f.name == "cholesterol" else f for f in fields]
    return spark.createDataFrame(pa.Table.from_pylist(out, schema=pa.schema(fields)).to_pandas())


@pytest.fixture(scope="module")
def stream() -> list[dict[str, Any]]:
    return _records(7000, drift_after=DRIFT_AFTER)


@pytest.fixture(scope="module")
def baseline(spark, stream) -> Baseline:  # type: ignore[no-untyped-def]
    window = stream[:3000]
    auc = roc_auc_score([r[LABEL] for r in window], [r["p_true"] for r in window])
    return build_baseline(
        _frame(spark, window), FEATURES, label=LABEL, categorical=["num_major_vessels"],
        training_metrics={"test_roc_auc": float(auc)},
    )


@pytest.fixture(scope="module")
def no_drift(spark, stream, baseline) -> MonitorResult:  # type: ignore[no-untyped-def]
    """Scored records joined by id with ground truth that has arrived for all but the last 200."""
    window = _frame(spark, stream[3000:DRIFT_AFTER])
    truth = _frame(spark, stream[3000 : DRIFT_AFTER - 200]).select("record_id", LABEL)
    scored = join_ground_truth(window.drop(LABEL), truth, on="record_id", label=LABEL)
    return run_monitor(baseline, scored, label=LABEL, probability="p_true", model="heart")


def _found(result: MonitorResult) -> set[tuple[str, str]]:
    return {(v.feature_name, v.constraint_check_type) for v in result.violations}


def test_the_no_drift_stream_raises_no_violation(no_drift: MonitorResult) -> None:
    assert no_drift.violations == [], [v.description for v in no_drift.violations]
    assert no_drift.current_rows == 2000 and len(no_drift.features) == len(FEATURES) + 1
    worst = max(f.psi or 0.0 for f in no_drift.features)
    assert worst < 0.05
    quality = no_drift.model_quality
    assert quality is not None and not quality.degraded
    assert (quality.rows, quality.unlabelled) == (1800, 200)
    assert no_drift.feature(LABEL).completeness_current == pytest.approx(0.9)  # late labels: noted, not flagged


def test_drift_in_raw_records_flags_the_new_field_and_the_string_typed_numbers(
    spark, stream, baseline  # type: ignore[no-untyped-def]
) -> None:
    window = stream[DRIFT_AFTER:]
    result = run_monitor(baseline, _frame(spark, window, cholesterol="raw"))
    assert _found(result) == {("spo2", "extra_column_check"), ("cholesterol", "data_type_check")}
    strings = sum(r["_drift_string"] == "cholesterol" for r in window)
    assert 0.15 < strings / len(window) < 0.35
    assert result.feature("cholesterol").type_match == pytest.approx(1 - strings / len(window))
    assert result.feature("cholesterol").current_type == "String"
    assert not result.feature("cholesterol").drifted  # the readable values keep their distribution


def test_drift_in_the_bronze_table_flags_the_new_field_and_lost_completeness(
    spark, stream, baseline  # type: ignore[no-untyped-def]
) -> None:
    window = stream[DRIFT_AFTER:]
    result = run_monitor(baseline, _frame(spark, window, cholesterol="bronze"))
    assert _found(result) == {("spo2", "extra_column_check"), ("cholesterol", "completeness_check")}
    strings = sum(r["_drift_string"] == "cholesterol" for r in window)
    assert result.feature("cholesterol").completeness_current == pytest.approx(1 - strings / len(window))


def test_shifted_values_and_negative_outliers_are_flagged_on_their_fields_only(
    spark, baseline  # type: ignore[no-untyped-def]
) -> None:
    window = _records(DRIFT_AFTER, outlier_rate=0.05)[3000:]
    for row in window:
        row["age"] += 10  # an older population
    result = run_monitor(baseline, _frame(spark, window))
    assert _found(result) == {("age", "baseline_drift_check"), ("st_depression", "non_negative_check")}
    assert result.drifted_features == ["age"]
    negatives = sum(1 for r in window if r["st_depression"] < 0)
    assert negatives > 0 and result.feature("st_depression").negatives == negatives
    age = result.feature("age")
    assert age.current_mean == pytest.approx(np.mean([r["age"] for r in window]))
