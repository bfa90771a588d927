"""Shared small data for the ML tests: one deterministic 400-row frame (a heart-risk-like table)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

ML_ROWS = 400
_TOPICS = (
    ("heart", "pressure", "artery", "cholesterol", "pulse", "cardiac", "blood", "valve"),
    ("sensor", "turbine", "vibration", "motor", "voltage", "bearing", "machine", "failure"),
)


def ml_rows(n: int = ML_ROWS, seed: int = 7) -> list[dict[str, object]]:
    """Rows with numeric, string, boolean, date, text columns and binary/multiclass/regression labels."""
    rng = np.random.default_rng(seed)
    age = rng.normal(55, 10, n)
    bp = rng.normal(125, 15, n).round().astype(int)
    chol = rng.normal(210, 35, n)
    smoker = rng.choice(["never", "former", "current"], n, p=[0.5, 0.3, 0.2])
    sex = rng.random(n) < 0.5
    noise = rng.normal(0, 1, n)
    score = 0.08 * (age - 55) + 0.05 * (bp - 125) + np.where(smoker == "current", 1.2, 0.0) - 0.9
    label = (score + rng.logistic(0, 0.6, n) > 0).astype(int)
    terciles = np.quantile(score, [1 / 3, 2 / 3])
    risk = np.where(score < terciles[0], "low", np.where(score < terciles[1], "mid", "high"))
    cost = 1000 + 12 * age + 4 * bp + np.where(smoker == "current", 300, 0) + rng.normal(0, 40, n)
    rows = []
    for i in range(n):
        topic = _TOPICS[i % 2]
        words = rng.choice(topic, 12)
        rows.append({
            "visit_id": i,
            "age": None if i % 10 == 3 else float(age[i]),
            "bp": int(bp[i]),
            "chol": float(chol[i]),
            "smoker": None if i % 20 == 5 else str(smoker[i]),
            "sex": bool(sex[i]),
            "flat": 1.0,
            "sparse": float(noise[i]) if i % 5 == 0 else None,
            "noise": float(noise[i]),
            "event_date": dt.date(2024, 1, 1) + dt.timedelta(days=int((i * 37) % n)),
            "label": int(label[i]),
            "outcome": "yes" if label[i] else "no",
            "risk": str(risk[i]),
            "cost": float(cost[i]),
            "notes": "the " + " and ".join(words),
        })
    return rows


ML_SCHEMA = (
    "visit_id long, age double, bp int, chol double, smoker string, sex boolean, flat double, sparse double, "
    "noise double, event_date date, label int, outcome string, risk string, cost double, notes string"
)


@pytest.fixture(scope="session")
def ml_frame(spark):  # type: ignore[no-untyped-def]
    """The shared 400-row frame, cached, in 2 partitions."""
    frame = spark.createDataFrame(ml_rows(), ML_SCHEMA).repartition(2).cache()
    frame.count()
    yield frame
    frame.unpersist()
