"""Data preparation as one fitted Spark ``Pipeline`` saved with the model, plus its report.

``build_pipeline(spec, train_df, params)`` returns the unfitted prep + model ``Pipeline`` and a
:class:`PrepReport`; ``report.complete(fitted)`` adds what the fitted pipeline learned.
``plan_prep`` (the training-split decisions) and ``build_prep`` (the feature stages) are the
parts it is made of.
"""

from __future__ import annotations

from lake.ml.prep.columns import (
    FEATURES,
    LABEL_INDEX,
    PREDICTION,
    PREDICTION_INDEX,
    PROBABILITY,
    RAW_PREDICTION,
    VALIDATION_INDICATOR,
)
from lake.ml.prep.pipeline import build_pipeline, resolve_params, with_validation_indicator
from lake.ml.prep.plan import Dropped, LabelPlan, PrepPlan, plan_prep
from lake.ml.prep.report import PrepReport
from lake.ml.prep.stages import PrepStages, build_prep
from lake.ml.prep.training import Balance, TrainingFit, plan_balance

__all__ = [
    "FEATURES",
    "LABEL_INDEX",
    "PREDICTION",
    "PREDICTION_INDEX",
    "PROBABILITY",
    "RAW_PREDICTION",
    "VALIDATION_INDICATOR",
    "Balance",
    "Dropped",
    "LabelPlan",
    "PrepPlan",
    "PrepReport",
    "PrepStages",
    "TrainingFit",
    "build_pipeline",
    "build_prep",
    "plan_balance",
    "plan_prep",
    "resolve_params",
    "with_validation_indicator",
]
