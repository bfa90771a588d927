"""Fail fast on a ``spark://`` master that does not answer (Spark itself retries for a minute)."""

from __future__ import annotations

import socket

from lake.spark.errors import SparkMasterUnreachableError

__all__ = ["check_master", "master_addresses"]


def master_addresses(master: str) -> list[tuple[str, int]]:
    """``(host, port)`` of each master of a ``spark://h1:p1,h2:p2`` URL; empty for other masters."""
    if not master.startswith("spark://"):
        return []
    out = []
    for part in master[len("spark://"):].split(","):
        host, sep, port = part.strip().rpartition(":")
        if not sep or not port.isdigit():
            host, port = part.strip(), "7077"
        out.append((host.strip("[]"), int(port)))
    return out


def check_master(master: str, *, timeout: float = 3.0) -> None:
    """Raise :class:`SparkMasterUnreachableError` unless some master of ``master`` accepts a connection."""
    addresses = master_addresses(master)
    last = ""
    for host, port in addresses:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return
        except TimeoutError:
            last = f"no answer within {timeout:g}s"
        except OSError as exc:
            last = (exc.strerror or type(exc).__name__).lower()
    if addresses:
        shown = ", ".join(f"{h}:{p}" for h, p in addresses)
        raise SparkMasterUnreachableError(master, shown, last)
