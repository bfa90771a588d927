"""What the jobs share: the lake flags, the settings they load, and the one-line failure.

Imported after :mod:`_guard` (same folder on ``sys.path``), so it may import the project's
packages lazily::

    import _job  # noqa: E402
    parser = argparse.ArgumentParser(...); _job.add_lake_args(parser, master=True)
    return _job.run("monitor", lambda: body(args))
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lake.config import Settings
    from lake.storage import StorageProfile

__all__ = ["add_lake_args", "job_settings", "run"]


def add_lake_args(parser: argparse.ArgumentParser, *, master: bool = False, catalog: bool = False) -> None:
    """``--profile`` and ``--lake`` (and ``--master``, ``--catalog`` when asked): the command line's layer."""
    parser.add_argument("--profile", help="storage profile (default: the settings')")
    parser.add_argument("--lake", help="lake root (default: the profile's)")
    if master:
        parser.add_argument("--master", help="Spark master (default: spark-submit's or the settings')")
    if catalog:
        parser.add_argument("--catalog", help="catalog store: embedded or glue")


def job_settings(args: argparse.Namespace) -> tuple[Settings, StorageProfile]:
    """Settings layered with the flags :func:`add_lake_args` added, and their storage profile."""
    from lake.config import load_settings
    from lake.storage import get_profile

    overrides = {"profile": args.profile, "lake": args.lake, "spark.master": getattr(args, "master", None),
                 "catalog.store": getattr(args, "catalog", None)}
    settings = load_settings(overrides)
    return settings, get_profile(settings)


def run(name: str, body: Callable[[], int]) -> int:
    """``body()``'s exit code; a lakeforge error is one line ``<name> failed: …`` on stderr and exit code 1."""
    from lake.errors import LakeforgeError

    try:
        return body()
    except LakeforgeError as exc:
        print(f"{name} failed: {str(exc).splitlines()[0]}", file=sys.stderr, flush=True)
        return 1
