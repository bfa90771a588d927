"""The inference world (see ``inference_kit``), built once per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inference_kit import World, shared_world


@pytest.fixture
def world(spark, moto_endpoint, tmp_path_factory) -> World:  # type: ignore[no-untyped-def]
    return shared_world(spark, moto_endpoint, tmp_path_factory.getbasetemp() / "inference-world")
