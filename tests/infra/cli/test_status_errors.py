"""``lake status`` refuses a profile nobody defined (one line, exit code 1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LAKE = Path(sys.executable).with_name("lake")


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEFORGE_")}
    env.update(LAKEFORGE_CONFIG="", LAKEFORGE_PROJECT_DIR=str(tmp_path), LAKEFORGE_HOME=str(tmp_path / "home"))
    return subprocess.run([str(LAKE), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("flags", [[], ["--json"]], ids=["text", "json"])
def test_an_unknown_profile_is_a_one_line_error(tmp_path: Path, flags: list[str]) -> None:
    done = _run(tmp_path, "--profile", "nosuch", "status", *flags)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: unknown profile 'nosuch'; valid profiles: local, moto, s3"
    assert done.stdout == ""


def test_a_known_profile_that_cannot_start_yet_is_still_reported(tmp_path: Path) -> None:
    done = _run(tmp_path, "--profile", "moto", "status")
    assert done.returncode == 0, done.stderr
    assert "run `lake up` first" in done.stdout
