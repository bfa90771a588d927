"""A ``spark://`` master that does not answer is one line at once (Spark would retry for a minute)."""

from __future__ import annotations

import socket

import pytest

from lake.errors import is_transient
from lake.spark.errors import SparkMasterUnreachableError
from lake.spark.master import check_master, master_addresses


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_refused_master_is_one_line_transient_error() -> None:
    port = _closed_port()
    with pytest.raises(SparkMasterUnreachableError) as info:
        check_master(f"spark://127.0.0.1:{port}")
    assert f"does not answer at 127.0.0.1:{port} (connection refused)" in str(info.value)
    assert "lake cluster up" in str(info.value) and is_transient(info.value)


def test_listening_master_and_other_masters_pass() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        check_master(f"spark://127.0.0.1:{_closed_port()},127.0.0.1:{port}")  # one of several answers
    check_master("local[2]")
    check_master("k8s://https://127.0.0.1:1")


def test_master_addresses() -> None:
    assert master_addresses("spark://a:7077,b:7078") == [("a", 7077), ("b", 7078)]
    assert master_addresses("spark://a") == [("a", 7077)]
    assert master_addresses("local[*]") == []
