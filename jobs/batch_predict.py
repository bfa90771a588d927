"""spark-submit entry point: batch transform of a catalog table or view with a registered model.

    lake submit jobs/batch_predict.py -- heart_risk@champion --input silver.heart_visits \\
        --output gold.heart_risk_scores [--where EXPR] [--mode append|overwrite] [--keep a,b]
    spark-submit --master spark://host:7077 jobs/batch_predict.py heart_risk:3 --input … --output …

Runs unchanged on local[*] or a cluster (the session comes from lakeforge's settings, the
master from ``--master`` or spark-submit). Prints the result as JSON; exit code 0 on success
(also when the predictions were already written: idempotent), 1 on a lakeforge error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # python -I / -P leave this folder off sys.path
import _guard  # noqa: F401  (before any project import: one line and exit 2 without lakeforge's packages)
import _job


def _columns(text: str | None) -> list[str] | None:
    return None if text is None else [c.strip() for c in text.split(",") if c.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("model", help="NAME, NAME:VERSION or NAME@ALIAS")
    parser.add_argument("--input", required=True, help="catalog table or view (db.name)")
    parser.add_argument("--output", required=True, help="Delta table to write (db.table)")
    parser.add_argument("--where", help="only rows matching this SQL expression")
    parser.add_argument("--mode", choices=("append", "overwrite"), default="append")
    parser.add_argument("--keep", help="output filter: columns to keep, comma-separated")
    parser.add_argument("--input-columns", help="input filter: columns the model may read, comma-separated")
    parser.add_argument("--join", choices=("input", "id"), default="input")
    parser.add_argument("--id", dest="id_col", help="record id column (with --join id)")
    parser.add_argument("--dialect", default="spark", help="dialect of --where: spark or athena")
    _job.add_lake_args(parser, master=True)
    args = parser.parse_args(argv)
    return _job.run("batch predict", lambda: _predict(args))


def _predict(args: argparse.Namespace) -> int:

    from catalog.inference import PredictOptions, run_batch_predict
    from catalog.stores import get_catalog
    from lake.ml.tracking import ModelRegistry, open_tracking
    from lake.spark.session import build_spark

    settings, profile = _job.job_settings(args)
    registry = ModelRegistry(open_tracking(settings, profile))
    options = PredictOptions(where=args.where, mode=args.mode, keep=_columns(args.keep),
                             input_columns=_columns(args.input_columns), join=args.join, id_col=args.id_col,
                             dialect=args.dialect)
    spark = build_spark(settings, profile, app_name="lakeforge-batch-predict")
    with get_catalog(settings, profile) as store:
        result = run_batch_predict(spark, store, profile, registry, args.model, args.input, args.output, options)
    print(json.dumps(result.to_dict(), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
