"""The report in a real browser: Debian's headless Chromium driven by chromedriver (WebDriver).

Every ``<img>`` must have loaded (complete, decoded, natural width > 0), the browser must have
fetched nothing (no resource entries at all), and a full-page screenshot is kept as a test
artifact in ``.lakeforge/test-artifacts/report-screenshot.png``.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image
from report_testkit import parse_report
from report_webdriver import ChromeDriver

from infra.report import SECTIONS

ARTIFACTS = Path(__file__).resolve().parents[3] / ".lakeforge" / "test-artifacts"

IMAGES_SCRIPT = """
const done = arguments[arguments.length - 1];
const images = [...document.images];
Promise.all(images.map(i => i.decode().then(() => null, e => String(e)))).then(errors => done(
  images.map((i, k) => ({complete: i.complete, width: i.naturalWidth, height: i.naturalHeight,
                         alt: i.alt, error: errors[k]}))));
"""
PAGE_SCRIPT = """
return {sections: [...document.querySelectorAll('section')].map(s => [s.id, s.querySelector('h2').textContent]),
        resources: performance.getEntriesByType('resource').map(e => e.name),
        height: document.documentElement.scrollHeight};
"""


@pytest.mark.slow
def test_chromium_loads_every_chart_of_the_report(chromium: Path, rendered_report: Path, tmp_path: Path) -> None:
    expected_images = len(parse_report(rendered_report.read_text(encoding="utf-8")).images)

    with ChromeDriver(tmp_path / "chromedriver.log") as driver, driver.session(tmp_path / "profile") as browser:
        browser.navigate(rendered_report.resolve().as_uri())
        images = browser.execute_async(IMAGES_SCRIPT)
        page = browser.execute(PAGE_SCRIPT)
        screenshot = browser.full_page_screenshot()

    assert len(images) == expected_images == 10
    broken = [i for i in images if not (i["complete"] and i["width"] > 0 and i["height"] > 0) or i["error"]]
    assert broken == []
    assert [tuple(s) for s in page["sections"]] == [(sid, heading) for sid, heading, _ in SECTIONS]
    assert page["resources"] == []

    shot = tmp_path / "report-screenshot.png"
    shot.write_bytes(screenshot)
    with Image.open(io.BytesIO(screenshot)) as image:
        assert image.format == "PNG"
        assert image.size[0] >= 1000 and image.size[1] >= min(page["height"], 3000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    kept = ARTIFACTS / "report-screenshot.png"
    shutil.copyfile(shot, kept)
    shutil.copyfile(rendered_report, ARTIFACTS / "report.html")
    print(f"report screenshot: {kept} (and {shot})")
