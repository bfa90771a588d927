"""Training over the catalog: sources with lineage, the quality gate, results tables, ``--reproduce``.

The ML library (:mod:`lake.ml`) is catalog-free; this package resolves a spec's ``source``/``sql``
through the SQL engine's resolver (views expanded to the Delta versions they read), gates on the
tables' quality, runs :func:`lake.ml.train`, writes ``ml.runs``/``ml.metrics``/``ml.trials``/
``ml.predictions`` as registered Delta tables, and retrains a version on exactly what it read.
"""

from catalog.ml.errors import MLCatalogError, ReproduceError, TrainingSourceError
from catalog.ml.results import RESULT_SCHEMAS, RESULTS_DATABASE, ResultsWriter
from catalog.ml.source import SQL_SOURCE, TrainingSource, expand_sql, resolve_lineage, resolve_source
from catalog.ml.training import Reproduction, TrainingEnv, check_quality, recorded_spec, reproduce, train_spec

__all__ = [
    "RESULTS_DATABASE",
    "RESULT_SCHEMAS",
    "SQL_SOURCE",
    "MLCatalogError",
    "ReproduceError",
    "Reproduction",
    "ResultsWriter",
    "TrainingEnv",
    "TrainingSource",
    "TrainingSourceError",
    "check_quality",
    "expand_sql",
    "recorded_spec",
    "reproduce",
    "resolve_lineage",
    "resolve_source",
    "train_spec",
]
