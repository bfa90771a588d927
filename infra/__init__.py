"""Local services: the moto server, a Spark standalone cluster, ``doctor`` and ``submit``.

Heavier parts (``infra.doctor``, ``infra.submit``, ``infra.status``) are imported from their
modules so the moto server process starts without loading Spark or pyarrow.
"""

from infra.errors import (
    ExecutorTooLargeError,
    InfraError,
    InvalidOptionError,
    JavaMissingError,
    PortInUseError,
    ServiceStartError,
    ServiceStopError,
    SparkSubmitMissingError,
)
from infra.services.moto import moto_status, start_moto, stop_moto
from infra.services.spark_cluster import ClusterSpec, cluster_status, start_cluster, stop_cluster

__all__ = [
    "ClusterSpec",
    "ExecutorTooLargeError",
    "InfraError",
    "InvalidOptionError",
    "JavaMissingError",
    "PortInUseError",
    "ServiceStartError",
    "ServiceStopError",
    "SparkSubmitMissingError",
    "cluster_status",
    "moto_status",
    "start_cluster",
    "start_moto",
    "stop_cluster",
    "stop_moto",
]
