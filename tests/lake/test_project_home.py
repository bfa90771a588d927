"""The project home is found like git finds its repository; jobs explain a Python without lakeforge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from lake.config import find_project, find_project_dir, load_settings

REPO = Path(__file__).resolve().parents[2]
JOBS = sorted(p for p in (REPO / "jobs").glob("*.py") if not p.name.startswith("_"))


def test_a_lakeforge_folder_marks_the_project_like_lakeforge_toml(tmp_path: Path) -> None:
    (tmp_path / ".lakeforge").mkdir()
    deep = tmp_path / "jobs" / "sub"
    deep.mkdir(parents=True)
    assert find_project_dir(deep) == tmp_path
    assert find_project(deep) == (tmp_path, ".lakeforge/")


def test_the_nearest_marker_wins(tmp_path: Path) -> None:
    (tmp_path / ".lakeforge").mkdir()
    inner = tmp_path / "inner"
    (inner / "x").mkdir(parents=True)
    (inner / "lakeforge.toml").write_text("")
    assert find_project(inner / "x") == (inner, "lakeforge.toml")


def test_settings_from_a_sub_folder_use_the_projects_home_and_lake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lakeforge.toml").write_text('[catalog]\npath = "shared/catalog.db"\n')
    (tmp_path / "jobs").mkdir()
    monkeypatch.chdir(tmp_path / "jobs")
    monkeypatch.delenv("LAKEFORGE_PROJECT_DIR")
    monkeypatch.delenv("LAKEFORGE_HOME")
    monkeypatch.delenv("LAKEFORGE_CONFIG")
    settings = load_settings()
    assert (settings.project_dir, settings.project_source) == (tmp_path, "lakeforge.toml")
    assert settings.home == tmp_path / ".lakeforge"
    assert settings.catalog_path == tmp_path / "shared" / "catalog.db"
    assert settings.describe()["catalog_path"] == str(tmp_path / "shared" / "catalog.db")


def test_the_repository_ships_a_lakeforge_toml_that_changes_no_default() -> None:
    path = REPO / "lakeforge.toml"
    assert tomllib.loads(path.read_text()) == {}  # every default is commented out
    text = path.read_text()
    for key in ("profile", "lake", "[spark]", "[catalog]", "path", "[profiles.minio]"):
        assert key in text
    assert dict(load_settings(config_file=path, environ={}).sources) == {}


def _env_without_lakeforge(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEFORGE_")}
    env.update(extra)
    return env


def test_lake_status_from_a_sub_folder_shows_the_projects_home(tmp_path: Path) -> None:
    (tmp_path / ".lakeforge").mkdir()
    (tmp_path / "jobs").mkdir()
    lake = Path(sys.executable).with_name("lake")
    done = subprocess.run([str(lake), "status", "--json"], cwd=tmp_path / "jobs", env=_env_without_lakeforge(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["project"] == {"dir": str(tmp_path), "found_by": ".lakeforge/", "home": str(tmp_path / ".lakeforge")}
    assert report["lake"] == str(tmp_path / "lakehouse")
    assert report["catalog"]["path"].startswith(str(tmp_path / ".lakeforge" / "catalogs"))


def _bare_python() -> str:
    """The interpreter the virtualenv was made from: no lakeforge packages under ``-I``."""
    for candidate in (Path(sys.base_prefix) / "bin" / "python3", Path("/usr/bin/python3")):
        if candidate.is_file():
            probe = subprocess.run([str(candidate), "-I", "-c", "import lake"], capture_output=True, timeout=60)
            if probe.returncode != 0:
                return str(candidate)
    pytest.skip("no Python without lakeforge's packages on this machine")


@pytest.mark.parametrize("job", JOBS, ids=[p.name for p in JOBS])
def test_a_job_run_by_a_python_without_lakeforge_says_what_to_use(job: Path, tmp_path: Path) -> None:
    python = _bare_python()
    rel = job.relative_to(REPO)
    done = subprocess.run([python, "-I", str(rel), "--help"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert ".venv/bin/python" in lines[0] and f"lake submit {rel}" in lines[0] and "'lake'" in lines[0]
    assert done.stdout == ""


def test_a_job_run_by_the_projects_python_passes_the_guard() -> None:
    done = subprocess.run([sys.executable, "-I", "jobs/crawl.py", "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--crawler" in done.stdout
