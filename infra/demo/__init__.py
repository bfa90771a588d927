"""``lake demo``: the lifecycle end to end as the pipeline ``demo``, on the embedded default.

:func:`~infra.demo.lake_setup.prepare_lake` readies the lake (a moto server of the home, left
running; a stale catalog of an emptied lake pruned), :func:`~infra.demo.run.run_demo_pipeline`
runs ``infra/pipelines/specs/demo.toml`` like any pipeline, and :mod:`infra.demo.progress` shows
it. The report is the run's lifecycle report (``lake report``, :mod:`infra.report.collect`).
"""

from infra.demo.errors import DemoError, DemoStageFailedError
from infra.demo.history import ArrowRunHistory
from infra.demo.lake_setup import LakeSetup, lake_is_empty, prepare_lake
from infra.demo.progress import ObservedHistory, StageBoard, summary_table
from infra.demo.run import DEMO_SPEC, SOURCE_ROOT, DemoOutcome, demo_params, load_demo_pipeline, run_demo_pipeline

__all__ = [
    "DEMO_SPEC",
    "SOURCE_ROOT",
    "ArrowRunHistory",
    "DemoError",
    "DemoOutcome",
    "DemoStageFailedError",
    "LakeSetup",
    "ObservedHistory",
    "StageBoard",
    "demo_params",
    "lake_is_empty",
    "load_demo_pipeline",
    "prepare_lake",
    "run_demo_pipeline",
    "summary_table",
]
