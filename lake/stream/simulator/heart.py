"""The ``heart`` generator: patient visits modelled on the UCI heart-disease attributes.

Patients (sex, age, thal, a hidden severity) are drawn once per run; each visit draws the
measurements, tilted by the hidden severity so features correlate as in the clinic. The
label is drawn from a documented logistic model of the *observable* features only::

    logit P(heart_disease = 1 | x) = intercept + Σ coefficient · term(x)

with the terms in :data:`NUMERIC_TERMS`, :data:`FLAG_TERMS` and :data:`CATEGORY_TERMS`.
The intercept is solved for the requested class balance, so ``p(x)`` is the true
probability and its ROC AUC is the best any model can reach (:func:`bayes_optimal_auc`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np

from lake.stream.simulator.base import GeneratedRecord, GeneratorOptions, format_event_time
from lake.stream.simulator.errors import SimulatorConfigError
from lake.stream.simulator.metrics import roc_auc

__all__ = [
    "CATEGORY_TERMS",
    "FLAG_TERMS",
    "NUMERIC_TERMS",
    "HeartGenerator",
    "bayes_optimal_auc",
    "heart_intercept",
    "heart_logit",
    "heart_probability",
]

# --- the label model ---------------------------------------------------------------------
# field: (coefficient per unit, centre) → coefficient · (value - centre)
NUMERIC_TERMS: Mapping[str, tuple[float, float]] = {
    "age": (0.03, 55.0),  # per year
    "resting_bp": (0.015, 130.0),  # per mm Hg
    "cholesterol": (0.004, 240.0),  # per mg/dl
    "max_heart_rate": (-0.02, 150.0),  # per beat/min
    "st_depression": (0.5, 0.0),  # per mm of ST depression
    "num_major_vessels": (1.0, 0.0),  # per vessel coloured by fluoroscopy (0-3)
}
# field: coefficient when true
FLAG_TERMS: Mapping[str, float] = {
    "fasting_blood_sugar": 0.2,  # fasting blood sugar > 120 mg/dl
    "exercise_angina": 0.9,
}
# field: {category: coefficient}; the 0.0 category is the reference
CATEGORY_TERMS: Mapping[str, Mapping[str, float]] = {
    "sex": {"female": 0.0, "male": 1.0},
    "chest_pain_type": {
        "typical_angina": 0.0,
        "atypical_angina": 0.2,
        "non_anginal": 0.1,
        "asymptomatic": 1.5,
    },
    "resting_ecg": {"normal": 0.0, "st_t_abnormality": 0.6, "lv_hypertrophy": 0.3},
    "st_slope": {"upsloping": 0.0, "flat": 0.9, "downsloping": 0.6},
    "thal": {"normal": 0.0, "fixed_defect": 0.5, "reversible_defect": 1.4},
}

# --- the feature distributions (Cleveland-like marginals) --------------------------------
# field: (categories, base probabilities, tilt per unit of hidden severity on the logits)
_CATEGORICAL: Mapping[str, tuple[tuple[Any, ...], tuple[float, ...], tuple[float, ...]]] = {
    "chest_pain_type": (
        ("typical_angina", "atypical_angina", "non_anginal", "asymptomatic"),
        (0.08, 0.17, 0.28, 0.47),
        (-0.4, -0.3, -0.1, 0.5),
    ),
    "resting_ecg": (
        ("normal", "st_t_abnormality", "lv_hypertrophy"),
        (0.50, 0.015, 0.485),
        (-0.2, 0.2, 0.2),
    ),
    "st_slope": (("upsloping", "flat", "downsloping"), (0.47, 0.46, 0.07), (-0.5, 0.4, 0.3)),
    "num_major_vessels": ((0, 1, 2, 3), (0.59, 0.22, 0.13, 0.06), (-0.6, 0.1, 0.4, 0.6)),
    "thal": (
        ("normal", "fixed_defect", "reversible_defect"),
        (0.55, 0.06, 0.39),
        (-0.6, 0.2, 0.6),
    ),
}
_CLINICS = 8
_DEFAULT_PATIENTS = 500
_BLOCK = 256
_CALIBRATION_SIZE = 200_000
_CALIBRATION_SEED = 20261124

FEATURE_FIELDS = (
    "age",
    "sex",
    "chest_pain_type",
    "resting_bp",
    "cholesterol",
    "fasting_blood_sugar",
    "resting_ecg",
    "max_heart_rate",
    "exercise_angina",
    "st_depression",
    "st_slope",
    "num_major_vessels",
    "thal",
)
# field: (low, high) ranges of implausible values injected by the outlier knob
_OUTLIERS: Mapping[str, tuple[float, float]] = {
    "age": (120, 150),
    "resting_bp": (260, 370),
    "cholesterol": (900, 1600),
    "max_heart_rate": (260, 350),
    "st_depression": (-5.0, -1.0),
}


def _categorical(
    rng: np.random.Generator, field: str, severity: np.ndarray
) -> np.ndarray:
    """Category codes for ``field``: base probabilities tilted by the hidden severity."""
    _, probs, tilt = _CATEGORICAL[field]
    logits = np.log(np.asarray(probs))[None, :] + severity[:, None] * np.asarray(tilt)[None, :]
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    cdf = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(severity))
    return np.minimum((cdf < u[:, None]).sum(axis=1), len(probs) - 1)


@dataclass(frozen=True)
class _Patients:
    """Per-patient attributes: sex (1 = male), age, thal code, clinic and hidden severity."""

    male: np.ndarray
    age: np.ndarray
    thal: np.ndarray
    clinic: np.ndarray
    severity: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> _Patients:
        severity = rng.standard_normal(n)
        male = rng.random(n) < 0.68
        age = np.clip(np.rint(rng.normal(54.4, 9.0, n) + 1.5 * severity), 29, 77).astype(int)
        thal = _categorical(rng, "thal", severity)
        clinic = rng.integers(0, _CLINICS, n)
        return cls(male, age, thal, clinic, severity)


def _draw_visits(rng: np.random.Generator, patients: _Patients, who: np.ndarray) -> dict[str, Any]:
    """Feature arrays for visits of patients ``who`` (indices into ``patients``)."""
    n = len(who)
    s = patients.severity[who]
    age = patients.age[who]
    fbs_logit = math.log(0.15 / 0.85) + 0.2 * (age - 54) / 10 + 0.2 * s
    stress = rng.gamma(1.3, 0.8, n) * np.exp(0.35 * s) - 0.3
    return {
        "age": age,
        "male": patients.male[who],
        "chest_pain_type": _categorical(rng, "chest_pain_type", s),
        "resting_bp": np.clip(
            np.rint(131 + 0.4 * (age - 54) + 17 * rng.standard_normal(n)), 94, 200
        ),
        "cholesterol": np.clip(np.rint(246 + 3 * s + 50 * rng.standard_normal(n)), 126, 564),
        "fasting_blood_sugar": rng.random(n) < 1 / (1 + np.exp(-fbs_logit)),
        "resting_ecg": _categorical(rng, "resting_ecg", s),
        "max_heart_rate": np.clip(
            np.rint(150 - 0.9 * (age - 54) - 6 * s + 20 * rng.standard_normal(n)), 71, 202
        ),
        "exercise_angina": rng.random(n) < 1 / (1 + np.exp(-(math.log(0.33 / 0.67) + 0.8 * s))),
        "st_depression": np.clip(np.round(np.maximum(stress, 0.0), 1), 0.0, 6.2),
        "st_slope": _categorical(rng, "st_slope", s),
        "num_major_vessels": _categorical(rng, "num_major_vessels", s),
        "thal": patients.thal[who],
    }


def _coded(field: str) -> np.ndarray:
    """Model coefficients of ``field``'s categories in code order."""
    categories = _CATEGORICAL[field][0]
    return np.asarray([CATEGORY_TERMS[field][c] for c in categories])


def _logit_arrays(x: Mapping[str, np.ndarray]) -> np.ndarray:
    """The model's linear predictor without intercept, on feature arrays."""
    eta = np.zeros(len(x["age"]))
    for field, (coef, centre) in NUMERIC_TERMS.items():
        values = x[field]
        if field == "num_major_vessels":
            values = np.asarray(_CATEGORICAL[field][0])[values]
        eta += coef * (values - centre)
    for field, coef in FLAG_TERMS.items():
        eta += coef * x[field]
    eta += CATEGORY_TERMS["sex"]["male"] * x["male"]
    for field in ("chest_pain_type", "resting_ecg", "st_slope", "thal"):
        eta += _coded(field)[x[field]]
    return eta


def heart_logit(record: Mapping[str, Any], class_balance: float = 0.45) -> float:
    """The model's log-odds for one clean record (field values as the generator emits them)."""
    eta = heart_intercept(class_balance)
    for field, (coef, centre) in NUMERIC_TERMS.items():
        eta += coef * (float(record[field]) - centre)
    for field, coef in FLAG_TERMS.items():
        eta += coef * bool(record[field])
    for field, table in CATEGORY_TERMS.items():
        eta += table[record[field]]
    return eta


def heart_probability(record: Mapping[str, Any], class_balance: float = 0.45) -> float:
    """P(heart_disease = 1 | record) under the model."""
    return 1.0 / (1.0 + math.exp(-heart_logit(record, class_balance)))


@lru_cache(maxsize=1)
def _population_logits() -> np.ndarray:
    """Linear predictors of a large population sample (each visit its own patient)."""
    rng = np.random.default_rng(_CALIBRATION_SEED)
    patients = _Patients.draw(rng, _CALIBRATION_SIZE)
    return _logit_arrays(_draw_visits(rng, patients, np.arange(_CALIBRATION_SIZE)))


def _check_balance(class_balance: float) -> None:
    if not 0.01 <= class_balance <= 0.99:
        raise SimulatorConfigError("class_balance", class_balance, "a fraction in [0.01, 0.99]")


@lru_cache(maxsize=64)
def heart_intercept(class_balance: float = 0.45) -> float:
    """The intercept for which the population's mean P(heart_disease) is ``class_balance``."""
    _check_balance(class_balance)
    eta = _population_logits()
    low, high = -30.0, 30.0
    for _ in range(80):  # bisection: mean sigmoid is increasing in the intercept
        mid = (low + high) / 2
        if float(np.mean(1 / (1 + np.exp(-(mid + eta))))) < class_balance:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def bayes_optimal_auc(class_balance: float = 0.45) -> float:
    """ROC AUC of the true probability as a score: the best AUC any model can reach.

    Computed as the expected AUC over label draws on a fixed population sample of
    200,000 visits with complete features (missing values and outliers only lower it).
    """
    p = 1 / (1 + np.exp(-(heart_intercept(class_balance) + _population_logits())))
    return roc_auc(p, p)


class HeartGenerator:
    """Patient-visit records with a ``heart_disease`` label from the logistic model."""

    name = "heart"
    label_field: str | None = "heart_disease"
    feature_fields: tuple[str, ...] = FEATURE_FIELDS
    drift_field = "spo2"
    drift_string_field = "cholesterol"

    def __init__(self, options: GeneratorOptions) -> None:
        self.options = options
        self.labeled = options.labeled
        if not self.labeled:
            self.label_field = None
        self.class_balance = options.class_balance
        self.intercept = heart_intercept(options.class_balance)
        patients = options.entities or _DEFAULT_PATIENTS
        if patients < 1:
            raise SimulatorConfigError("patients", patients, "an integer ≥ 1")
        self._rng = np.random.default_rng(options.seed_sequence(1))
        self._patients = _Patients.draw(np.random.default_rng(options.seed_sequence(2)), patients)
        self._outlier_rng = options.python_rng(3)
        self._visits = np.zeros(patients, dtype=int)
        self._block: list[tuple[dict[str, Any], float, bool]] = []

    def _refill(self) -> None:
        who = self._rng.integers(0, len(self._patients.age), _BLOCK)
        x = _draw_visits(self._rng, self._patients, who)
        p = 1 / (1 + np.exp(-(self.intercept + _logit_arrays(x))))
        y = self._rng.random(_BLOCK) < p
        cats = {f: _CATEGORICAL[f][0] for f in _CATEGORICAL}
        clinic = self._patients.clinic[who]
        device = self._rng.integers(0, 3, _BLOCK)
        rows = []
        for i in range(_BLOCK):
            patient = int(who[i])
            self._visits[patient] += 1
            row = {
                "patient_id": f"P{patient:05d}",
                "visit_id": f"P{patient:05d}-V{int(self._visits[patient]):04d}",
                "clinic_id": f"clinic-{int(clinic[i]):02d}",
                "device_id": f"ecg-{int(clinic[i]):02d}-{int(device[i])}",
                "age": int(x["age"][i]),
                "sex": "male" if x["male"][i] else "female",
                "chest_pain_type": cats["chest_pain_type"][x["chest_pain_type"][i]],
                "resting_bp": int(x["resting_bp"][i]),
                "cholesterol": int(x["cholesterol"][i]),
                "fasting_blood_sugar": bool(x["fasting_blood_sugar"][i]),
                "resting_ecg": cats["resting_ecg"][x["resting_ecg"][i]],
                "max_heart_rate": int(x["max_heart_rate"][i]),
                "exercise_angina": bool(x["exercise_angina"][i]),
                "st_depression": float(x["st_depression"][i]),
                "st_slope": cats["st_slope"][x["st_slope"][i]],
                "num_major_vessels": int(cats["num_major_vessels"][x["num_major_vessels"][i]]),
                "thal": cats["thal"][x["thal"][i]],
            }
            rows.append((row, float(p[i]), bool(y[i])))
        rows.reverse()  # consumed with pop()
        self._block = rows

    def next_record(self, index: int, record_id: str, event_time: datetime) -> GeneratedRecord:
        if not self._block:
            self._refill()
        row, p_true, label = self._block.pop()
        record: dict[str, Any] = {
            "record_id": record_id,
            "patient_id": row.pop("patient_id"),
            "visit_id": row.pop("visit_id"),
            "event_time": format_event_time(event_time),
            **row,
        }
        if self.labeled:
            record["heart_disease"] = int(label)
        truth: dict[str, Any] = {"p_true": p_true, "label": int(label), "outlier": None}
        if self.options.outlier_rate and self._outlier_rng.random() < self.options.outlier_rate:
            field = self._outlier_rng.choice(sorted(_OUTLIERS))
            low, high = _OUTLIERS[field]
            clean = record[field]
            if isinstance(clean, int):
                record[field] = self._outlier_rng.randint(int(low), int(high))
            else:
                record[field] = round(self._outlier_rng.uniform(low, high), 1)
            truth["outlier"] = {"field": field, "clean": clean}
        return GeneratedRecord(record, record["patient_id"], truth)

    def drift_value(self, record: dict[str, Any], rng: random.Random) -> int:
        """Blood-oxygen saturation (%) from a pulse oximeter added to the clinics' kit."""
        return max(85, min(100, round(rng.gauss(97.0, 1.5))))

    def drift_string(self, value: Any, rng: random.Random) -> str:
        """Cholesterol written by a lab system: ``"239 mg/dl"`` or a band such as ``"high"``."""
        if rng.random() < 0.6:
            return f"{value} mg/dl"
        return "high" if value >= 240 else ("borderline" if value >= 200 else "normal")
