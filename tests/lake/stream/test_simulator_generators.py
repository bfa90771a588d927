"""Generators and data-quality knobs of the simulator, checked without the network."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import numpy as np
import pytest

from lake.stream.simulator import (
    CATEGORY_TERMS,
    GeneratorOptions,
    HeartGenerator,
    IotGenerator,
    SimulatorConfig,
    SimulatorConfigError,
    UnknownGeneratorError,
    bayes_optimal_auc,
    heart_probability,
    iter_emissions,
    make_generator,
    parse_duration,
    parse_event_time,
    roc_auc,
)

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _config(**kwargs) -> SimulatorConfig:  # type: ignore[no-untyped-def]
    base = {"records": 2000, "seed": 7, "start_time": START, "rate": 100.0}
    return SimulatorConfig(**{**base, **kwargs})


def _valid(config: SimulatorConfig) -> list[dict]:  # type: ignore[type-arg]
    return [e.truth for e in iter_emissions(config) if e.kind == "valid" and e.truth]


# --- determinism and ids -----------------------------------------------------------------


@pytest.mark.parametrize("generator", ["heart", "iot"])
def test_same_seed_gives_identical_bytes(generator: str) -> None:
    knobs = {
        "generator": generator, "missing_rate": 0.05, "outlier_rate": 0.02, "duplicate_rate": 0.05,
        "late_rate": 0.05, "malformed_rate": 0.03, "drift_after": 1000,
    }
    first = [(e.kind, e.partition_key, e.data) for e in iter_emissions(_config(**knobs))]
    second = [(e.kind, e.partition_key, e.data) for e in iter_emissions(_config(**knobs))]
    assert first == second
    other = [(e.kind, e.partition_key, e.data) for e in iter_emissions(_config(**knobs, seed=8))]
    assert other != first


@pytest.mark.parametrize("generator", ["heart", "iot"])
def test_record_ids_are_unique_and_knobs_do_not_change_the_records(generator: str) -> None:
    clean = _valid(_config(generator=generator, records=1500))
    ids = [t["record_id"] for t in clean]
    assert len(set(ids)) == len(ids) == 1500
    noisy = _valid(_config(generator=generator, records=1500, late_rate=0.3, missing_rate=0.1))
    assert [t["record_id"] for t in noisy] == ids
    assert [t["partition_key"] for t in noisy] == [t["partition_key"] for t in clean]


def test_event_times_are_spaced_by_the_rate_from_the_start_time() -> None:
    truths = _valid(_config(records=5, rate=4.0))
    times = [parse_event_time(t["event_time"]) for t in truths]
    assert times == [START + timedelta(milliseconds=250 * i) for i in range(5)]
    assert truths[0]["record"]["event_time"] == "2026-03-01T12:00:00.000Z"


# --- heart: schema and label model ------------------------------------------------------


def test_heart_records_have_the_documented_fields_and_types() -> None:
    record = _valid(_config(records=1))[0]["record"]
    assert list(record) == [
        "record_id", "patient_id", "visit_id", "event_time", "clinic_id", "device_id", "age",
        "sex", "chest_pain_type", "resting_bp", "cholesterol", "fasting_blood_sugar",
        "resting_ecg", "max_heart_rate", "exercise_angina", "st_depression", "st_slope",
        "num_major_vessels", "thal", "heart_disease",
    ]
    for field in ("age", "resting_bp", "cholesterol", "max_heart_rate", "num_major_vessels"):
        assert isinstance(record[field], int)
    assert isinstance(record["st_depression"], float)
    assert isinstance(record["fasting_blood_sugar"], bool)
    for field, table in CATEGORY_TERMS.items():
        assert record[field] in table
    assert record["heart_disease"] in (0, 1)


def test_heart_visits_of_a_patient_share_patient_attributes() -> None:
    truths = _valid(_config(records=3000, entities=50))
    by_patient: dict[str, set[tuple]] = {}  # type: ignore[type-arg]
    for t in truths:
        r = t["record"]
        attrs = (r["sex"], r["age"], r["thal"], r["clinic_id"])
        by_patient.setdefault(r["patient_id"], set()).add(attrs)
    assert len(by_patient) == 50
    assert all(len(attrs) == 1 for attrs in by_patient.values())
    visits = [t["record"]["visit_id"] for t in truths]
    assert len(set(visits)) == len(visits)


def test_true_probability_follows_the_documented_logistic_model() -> None:
    truths = _valid(_config(records=300, class_balance=0.3))
    for t in truths:
        assert heart_probability(t["record"], 0.3) == pytest.approx(t["p_true"], abs=1e-12)


@pytest.mark.parametrize("balance", [0.2, 0.45, 0.7])
def test_positive_rate_matches_the_class_balance(balance: float) -> None:
    truths = _valid(_config(records=8000, class_balance=balance, entities=4000))
    labels = np.array([t["record"]["heart_disease"] for t in truths])
    assert labels.mean() == pytest.approx(balance, abs=0.04)


def test_bayes_optimal_auc_is_sensible_and_matches_a_sample() -> None:
    auc = bayes_optimal_auc(0.45)
    assert 0.5 < auc < 1.0
    truths = _valid(_config(records=8000, entities=4000))
    sample = roc_auc([t["p_true"] for t in truths], [t["label"] for t in truths])
    assert sample == pytest.approx(auc, abs=0.03)


def test_roc_auc_counts_ties_as_half_and_handles_soft_labels() -> None:
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert roc_auc([0.5, 0.5], [0, 1]) == pytest.approx(0.5)
    assert roc_auc([1.0, 0.0], [1.0, 0.0]) == pytest.approx(1.0)  # soft labels at 0/1


def test_unlabeled_mode_leaves_out_the_label_but_keeps_the_same_features() -> None:
    labeled = _valid(_config(records=200))
    unlabeled = _valid(_config(records=200, labeled=False))
    for a, b in zip(labeled, unlabeled, strict=True):
        assert "heart_disease" not in b["record"]
        assert {k: v for k, v in a["record"].items() if k != "heart_disease"} == b["record"]
        assert b["label"] == a["record"]["heart_disease"]  # still in ground truth


# --- iot ---------------------------------------------------------------------------------


def test_iot_records_regimes_battery_and_anomalies() -> None:
    truths = _valid(_config(generator="iot", records=6000, outlier_rate=0.02, entities=10))
    record = truths[0]["record"]
    assert list(record) == [
        "record_id", "device_id", "site", "event_time", "temperature", "humidity", "pressure",
        "vibration", "battery",
    ]
    regimes = Counter(t["regime"] for t in truths)
    assert regimes["normal"] > regimes["hot"] > 0 and regimes["failing"] > 0
    clean = [t for t in truths if not t["anomaly"]]
    hot = [t["record"]["temperature"] for t in clean if t["regime"] == "hot"]
    normal = [t["record"]["temperature"] for t in clean if t["regime"] == "normal"]
    assert np.mean(hot) > np.mean(normal) + 8
    kinds = Counter(t["outlier"]["type"] for t in truths if t["anomaly"])
    assert kinds["spike"] > 0 and kinds["stuck"] > 0
    # a stuck sensor repeats one value for consecutive readings of its device
    stuck = [t for t in truths if t["anomaly"] and t["outlier"]["type"] == "stuck"]
    by_device = Counter((t["record"]["device_id"], t["outlier"]["field"],
                         t["record"][t["outlier"]["field"]]) for t in stuck)
    assert max(by_device.values()) >= 5
    # batteries drain per device between replacements
    device = [t["record"]["battery"] for t in truths if t["record"]["device_id"] == "dev-0001"]
    assert all(b <= a or b == 100.0 for a, b in pairwise(device))
    assert device[-1] < device[0] - 5


def test_generators_are_registered_and_unknown_names_are_rejected() -> None:
    assert isinstance(make_generator("heart", GeneratorOptions(seed=1)), HeartGenerator)
    assert isinstance(make_generator("iot", GeneratorOptions(seed=1)), IotGenerator)
    with pytest.raises(UnknownGeneratorError, match="valid generators: heart, iot"):
        make_generator("ecg", GeneratorOptions(seed=1))


# --- knobs -------------------------------------------------------------------------------


@pytest.mark.parametrize("generator", ["heart", "iot"])
def test_missing_rate_nulls_or_drops_feature_fields_only(generator: str) -> None:
    truths = _valid(_config(generator=generator, records=3000, missing_rate=0.1))
    gen = make_generator(generator, GeneratorOptions(seed=1))
    cells = len(truths) * len(gen.feature_fields)
    missing = sum(len(t["missing"]) for t in truths)
    assert missing / cells == pytest.approx(0.1, abs=0.015)
    nulls = absent = 0
    for t in truths:
        for field in t["missing"]:
            assert field in gen.feature_fields
            if field in t["record"]:
                assert t["record"][field] is None
                nulls += 1
            else:
                absent += 1
        for field in gen.feature_fields:
            if field not in t["missing"]:
                assert t["record"][field] is not None
        assert t["record"]["record_id"] and t["record"]["event_time"]
    assert nulls > 0 and absent > 0


def test_heart_outliers_are_implausible_values_with_the_clean_value_in_truth() -> None:
    truths = _valid(_config(records=4000, outlier_rate=0.05))
    outliers = [t for t in truths if t["outlier"]]
    assert len(outliers) / len(truths) == pytest.approx(0.05, abs=0.015)
    limits = {"age": (29, 77), "resting_bp": (94, 200), "cholesterol": (126, 564),
              "max_heart_rate": (71, 202), "st_depression": (0.0, 6.2)}
    for t in outliers:
        field = t["outlier"]["field"]
        low, high = limits[field]
        assert not low <= t["record"][field] <= high
        assert low <= t["outlier"]["clean"] <= high


def test_duplicates_resend_the_same_bytes_soon_after() -> None:
    config = _config(records=3000, duplicate_rate=0.1)
    emissions = list(iter_emissions(config))
    valid = {e.record_id: e for e in emissions if e.kind == "valid"}
    dups = [e for e in emissions if e.kind == "duplicate"]
    assert len(dups) / len(valid) == pytest.approx(0.1, abs=0.02)
    position = {id(e): i for i, e in enumerate(emissions)}
    for dup in dups:
        original = valid[dup.record_id]
        assert dup.data == original.data and dup.partition_key == original.partition_key
        assert original.truth and original.truth["duplicates"] == 1
        assert position[id(dup)] > position[id(original)]
        assert dup.index == original.index
    assert sum(1 for e in valid.values() if e.truth and e.truth["duplicates"]) == len(dups)


@pytest.mark.parametrize("generator", ["heart", "iot"])
def test_late_events_are_older_than_their_slot_by_at_most_the_lateness(generator: str) -> None:
    truths = _valid(_config(generator=generator, records=3000, late_rate=0.2, lateness=600))
    late = [t for t in truths if t["late"]]
    assert len(late) / len(truths) == pytest.approx(0.2, abs=0.03)
    for t in truths:
        nominal = parse_event_time(t["nominal_time"])
        event = parse_event_time(t["record"]["event_time"])
        if t["late"]:
            assert nominal - timedelta(seconds=600) <= event < nominal
            assert (nominal - event) == timedelta(milliseconds=t["lateness_ms"])
        else:
            assert event == nominal
    assert max(t["lateness_ms"] for t in late) > 500_000  # spread over the whole bound


@pytest.mark.parametrize("generator", ["heart", "iot"])
def test_malformed_entries_are_not_json(generator: str) -> None:
    emissions = list(iter_emissions(_config(generator=generator, records=3000, malformed_rate=0.1)))
    malformed = [e for e in emissions if e.kind == "malformed"]
    assert len(malformed) / 3000 == pytest.approx(0.1, abs=0.02)
    for e in malformed:
        with pytest.raises(ValueError):
            json.loads(e.data)
        assert e.truth is None and e.partition_key
    shapes = Counter(e.data[:1] for e in malformed)
    assert len(shapes) >= 3  # truncated JSON, CSV, XML and binary shapes all occur
    for e in emissions:
        if e.kind != "malformed":
            assert isinstance(json.loads(e.data), dict)


@pytest.mark.parametrize(("generator", "new_field", "string_field"),
                         [("heart", "spo2", "cholesterol"), ("iot", "co2_ppm", "temperature")])
def test_drift_adds_a_field_and_uncastable_strings_after_record_k(
    generator: str, new_field: str, string_field: str
) -> None:
    truths = _valid(_config(generator=generator, records=2000, drift_after=1200))
    for t in truths:
        after = t["index"] >= 1200
        assert (new_field in t["record"]) is after
        assert t["drift_field"] is after
        value = t["record"][string_field]
        if t["drift_string"]:
            assert after and t["drift_string"] == string_field and isinstance(value, str)
            with pytest.raises(ValueError):
                float(value)
        else:
            assert not isinstance(value, str)
    drifted = sum(1 for t in truths if t["drift_string"])
    assert drifted / 800 == pytest.approx(0.25, abs=0.06)


# --- config validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [
        ({"missing_rate": 1.5}, "missing_rate"),
        ({"class_balance": 0.0}, "class_balance"),
        ({"shards": 0}, "shards"),
        ({"generator": "ecg"}, "generator"),
        ({"stream_name": "bad name!"}, "stream_name"),
        ({"lateness": 0}, "lateness"),
        ({"rate": -1}, "rate"),
    ],
)
def test_invalid_options_name_the_option(kwargs: dict, option: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(SimulatorConfigError, match=f"option {option}="):
        SimulatorConfig(**kwargs)


def test_durations_parse_with_units() -> None:
    assert parse_duration("90") == 90.0
    assert parse_duration("15m") == 900.0
    assert parse_duration("2h") == 7200.0
    assert parse_duration("250ms") == 0.25
    with pytest.raises(SimulatorConfigError, match="lateness"):
        parse_duration("soon", "lateness")


def test_stream_name_defaults_to_the_generator() -> None:
    assert SimulatorConfig(generator="iot").stream == "iot"
    assert SimulatorConfig(generator="iot", stream_name="telemetry").stream == "telemetry"
    assert SimulatorConfig().record_limit == 1000
    assert SimulatorConfig(duration=5).record_limit is None
