"""``lake status``: the project home, the active profile, the lake, its catalog and every local service.

An unknown profile name is an error (the command exits non-zero); a profile that cannot be
built right now (the moto profile without a running server) is reported, not raised.
"""

from __future__ import annotations

from typing import Any

from infra.services.moto import MOTO_SERVICE, moto_status
from infra.services.scheduler import SCHEDULER_SERVICE, scheduler_status
from infra.services.spark_cluster import CLUSTER_SERVICE, cluster_status
from lake.config import Settings
from lake.errors import LakeforgeError
from lake.state import ServiceState, pid_alive
from lake.storage import StorageProfile, UnknownProfileError, get_profile

__all__ = ["collect_status"]


def _other_status(entry: Any) -> dict[str, Any]:
    out = dict(entry) if isinstance(entry, dict) else {"value": entry}
    out["status"] = "running" if pid_alive(out.get("pid")) else "stale"
    return out


def _catalog(settings: Settings, profile: StorageProfile | None) -> dict[str, Any]:
    """Which catalog this profile's lake uses: the embedded file (and its scope) or the Glue API."""
    from catalog.stores import catalog_scope

    try:
        if settings.catalog_store.lower() == "glue":
            if profile is None:
                return {"store": "glue", "error": "the profile is not available"}
            endpoint = profile.boto3_kwargs().get("endpoint_url") or "AWS"
            return {"store": "glue", "scope": "glue", "endpoint": endpoint}
        scope = catalog_scope(settings, profile)
    except LakeforgeError as exc:
        return {"store": settings.catalog_store, "error": str(exc)}
    return {**scope.describe(), "notice": scope.notice}


def collect_status(settings: Settings) -> dict[str, Any]:
    """A JSON-ready report: ``project``, ``profile`` (masked), ``lake``, ``catalog``, ``services``, Spark.

    Raises :class:`~lake.storage.UnknownProfileError` for a profile name nobody defined.
    """
    report: dict[str, Any] = {
        "project": {"dir": str(settings.project_dir), "found_by": settings.project_source,
                    "home": str(settings.home)},
        "state_file": str(ServiceState(settings.home).path),
    }
    profile: StorageProfile | None = None
    try:
        profile = get_profile(settings)
    except UnknownProfileError:
        raise
    except LakeforgeError as exc:
        report["profile"] = {"name": settings.profile, "error": str(exc)}
        report["lake"] = settings.lake
    else:
        report["profile"] = profile.describe()
        report["lake"] = profile.lake_uri
    report["catalog"] = _catalog(settings, profile)
    services: dict[str, Any] = {}
    moto = moto_status(settings.home)
    if moto is not None:
        services[MOTO_SERVICE] = moto
    cluster = cluster_status(settings.home)
    if cluster is not None:
        services[CLUSTER_SERVICE] = cluster
    scheduler = scheduler_status(settings.home)
    if scheduler is not None:
        services[SCHEDULER_SERVICE] = scheduler
    for name, entry in ServiceState(settings.home).read().items():
        if name not in (MOTO_SERVICE, CLUSTER_SERVICE, SCHEDULER_SERVICE):
            services[name] = _other_status(entry)
    report["services"] = services
    report["spark_master"] = settings.spark.master
    return report
