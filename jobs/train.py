"""spark-submit entry point: train a spec over the catalog (or reproduce a version) and register the model.

    lake submit jobs/train.py -- infra/ml/heart_risk.toml --set tune.max_trials=4
    lake submit jobs/train.py --master spark://127.0.0.1:7077 -- infra/ml/heart_risk.toml
    python jobs/train.py --reproduce heart_risk:3

Runs unchanged on local[*] and on a standalone cluster: the driver reads the catalog and the
MLflow store, executors read the lake. Prints one JSON line (run_id, model, version, status,
metrics, artifact_uri, seconds, error); exit code 0 when the run FINISHED, 1 with one line on
stderr otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # python -I / -P leave this folder off sys.path
import _guard  # noqa: F401  (before any project import: one line and exit 2 without lakeforge's packages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("spec", nargs="?", help="training spec (TOML); omit with --reproduce")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a spec key (repeatable), e.g. --set model.max_depth=5")
    parser.add_argument("--reproduce", metavar="NAME:VERSION", help="retrain a version on exactly what it read")
    parser.add_argument("--allow-failed-quality", action="store_true", help="train despite a failed quality run")
    parser.add_argument("--no-export", action="store_true", help="skip the ONNX export")
    parser.add_argument("--profile")
    parser.add_argument("--lake")
    parser.add_argument("--catalog", help="catalog store: embedded or glue")
    args = parser.parse_args(argv)

    from lake.errors import LakeforgeError

    ended: list[Any] = []
    try:
        _check_args(args)
        result = _run(args, ended)
    except LakeforgeError as exc:
        if ended:
            print(json.dumps(ended[-1].to_dict(), sort_keys=True), flush=True)
        print(f"train failed: {str(exc).splitlines()[0]}", file=sys.stderr, flush=True)
        return 1
    print(json.dumps(result, sort_keys=True), flush=True)
    return 0


def _check_args(args: argparse.Namespace) -> None:
    from lake.errors import InvalidOptionError

    if (args.spec is None) == (args.reproduce is None):
        raise InvalidOptionError(option="spec", value=args.spec, expected="a spec file or --reproduce NAME:VERSION")
    if args.reproduce and args.overrides:
        raise InvalidOptionError(option="--set", value=args.overrides, expected="no overrides with --reproduce")


def _run(args: argparse.Namespace, ended: list[Any]) -> dict[str, Any]:
    from catalog.ml import TrainingEnv, reproduce, train_spec
    from catalog.stores import get_catalog
    from lake.config import load_settings
    from lake.ml.spec import load_spec
    from lake.ml.tracking import open_tracking
    from lake.spark.session import build_spark
    from lake.storage import get_profile

    spec = load_spec(args.spec, args.overrides) if args.spec else None  # errors before Spark starts
    settings = load_settings({"profile": args.profile, "lake": args.lake, "catalog.store": args.catalog})
    profile = get_profile(settings)
    tracking = open_tracking(settings, profile)
    tracking.check()
    store = get_catalog(settings, profile)
    try:
        spark = build_spark(settings, profile, app_name="lakeforge-train")
        env = TrainingEnv(spark, store, profile, tracking, export_onnx=not args.no_export)
        if spec is not None:
            result = train_spec(spec, env, allow_failed_quality=args.allow_failed_quality, on_end=ended.append)
            return result.to_dict()
        reproduction = reproduce(args.reproduce, env, on_end=ended.append)
        return {**reproduction.result.to_dict(),
                "reproduces": {"ref": reproduction.original.ref, "same_metrics": reproduction.same_metrics}}
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
