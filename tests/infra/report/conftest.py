"""Fixtures for the report tests: the realistic report data, rendered once, and Debian's Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_testkit import report_data

from infra.report import ReportData, render_report

REPO = Path(__file__).resolve().parents[3]
ENSURE_CHROMIUM = REPO / "infra" / "ensure_chromium.sh"
APT_UNAVAILABLE = 3  # ensure_chromium.sh: no apt-get, or not root and no password-less sudo


@pytest.fixture(scope="session")
def full_report_data() -> ReportData:
    return report_data()


@pytest.fixture(scope="session")
def rendered_report(full_report_data: ReportData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full report rendered once per session."""
    return render_report(full_report_data, tmp_path_factory.mktemp("report") / "report.html")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium and chromedriver, installed by ``infra/ensure_chromium.sh`` when missing.

    Skipped only where apt cannot be used at all (never under CI, where it must run).
    """
    done = subprocess.run(["bash", str(ENSURE_CHROMIUM)], capture_output=True, text=True, timeout=900, check=False)
    if done.stdout.strip():
        print(done.stdout.strip())
    if done.returncode == APT_UNAVAILABLE and not os.environ.get("CI"):
        pytest.skip(f"Chromium is not installed and cannot be: {done.stderr.strip()}")
    assert done.returncode == 0, f"infra/ensure_chromium.sh failed: {done.stderr.strip()}"
    return Path("/usr/bin/chromium")
