"""``lake status``: the active profile, the lake URI and every recorded local service."""

from __future__ import annotations

from typing import Any

from infra.cluster import CLUSTER_SERVICE, cluster_status
from infra.moto_service import MOTO_SERVICE, moto_status
from lake.config import Settings
from lake.errors import LakeforgeError
from lake.state import ServiceState, pid_alive
from lake.storage import get_profile

__all__ = ["collect_status"]


def _other_status(entry: Any) -> dict[str, Any]:
    out = dict(entry) if isinstance(entry, dict) else {"value": entry}
    out["status"] = "running" if pid_alive(out.get("pid")) else "stale"
    return out


def collect_status(settings: Settings) -> dict[str, Any]:
    """A JSON-ready report: ``profile`` (masked), ``lake``, ``services`` and the Spark master."""
    report: dict[str, Any] = {"state_file": str(ServiceState(settings.home).path)}
    try:
        profile = get_profile(settings)
    except LakeforgeError as exc:
        report["profile"] = {"name": settings.profile, "error": str(exc)}
        report["lake"] = settings.lake
    else:
        report["profile"] = profile.describe()
        report["lake"] = profile.lake_uri
    services: dict[str, Any] = {}
    moto = moto_status(settings.home)
    if moto is not None:
        services[MOTO_SERVICE] = moto
    cluster = cluster_status(settings.home)
    if cluster is not None:
        services[CLUSTER_SERVICE] = cluster
    for name, entry in ServiceState(settings.home).read().items():
        if name not in (MOTO_SERVICE, CLUSTER_SERVICE):
            services[name] = _other_status(entry)
    report["services"] = services
    report["spark_master"] = settings.spark.master
    return report
