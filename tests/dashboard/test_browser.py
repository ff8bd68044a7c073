"""The dashboard in a real headless Chromium: the key opens it, the trust table shows an open and a closed
category, and a screenshot of the chart has bars and lines drawn in their colours."""

from __future__ import annotations

from pathlib import Path

import pytest

from lib.db.models import utcnow
from tests.browser import browser, png_pixels  # noqa: F401 (the fixture)
from tests.dashboard.conftest import KEY, seed
from devkit.sandbox.server import LocalServer

pytestmark = pytest.mark.browser


def _near(pixel: tuple[int, int, int], colour: str, tolerance: int = 24) -> bool:
    wanted = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, wanted))


def test_the_dashboard_renders_trust_and_a_chart_in_chromium(sqlite_url: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    from api.dashboard import app
    from lib.dashboard.chart import BARS, LINES

    seed(now=utcnow())
    with LocalServer(app) as server:
        browser.get(f"{server.url}/api/dashboard?key={KEY}")
        assert browser.title == "Support dashboard · last 30 days"
        acme = browser.find_element(By.ID, "app-acme")
        opened = acme.find_elements(By.CSS_SELECTOR, "table.trust tr.trust-open")
        closed = acme.find_elements(By.CSS_SELECTOR, "table.trust tr.trust-closed")
        assert [row.get_attribute("data-category") for row in opened] == ["refund"]
        assert {row.get_attribute("data-category") for row in closed} == {"legal", "billing", "access", "bug_report"}
        assert opened[0].find_element(By.CSS_SELECTOR, ".state").text == "open"
        assert "below 0.85" in acme.find_element(By.CSS_SELECTOR, 'tr[data-category="billing"]').text
        assert acme.find_element(By.CSS_SELECTOR, "td.messages").text == "3"

        browser.get(f"{server.url}/api/dashboard")  # the key is remembered in the cookie
        chart = browser.find_element(By.CSS_SELECTOR, "#app-acme svg.trend")
        assert chart.size["width"] > 300 and chart.size["height"] > 100
        shot = chart.screenshot_as_png
        (tmp_path / "chart.png").write_bytes(shot)
        browser.save_screenshot(str(tmp_path / "page.png"))

    width, height, pixels = png_pixels(shot)
    assert width > 300 and height > 100
    inked = [p for p in pixels if min(p) < 235]  # not white or the faint grid
    assert len(inked) > 0.01 * len(pixels), f"the chart is almost blank ({len(inked)} of {len(pixels)} pixels inked)"
    colours = {label: sum(1 for p in pixels if _near(p, colour)) for _, label, colour in (*BARS, *LINES)}
    # today's stack (7 unchanged + 1 uncategorised) and the edit, rewrite and no-draft days, and the lines
    for label in ("sent unchanged", "edited", "rewritten", "messages", "drafts created"):
        assert colours[label] > 20, f"no {label} drawn in the chart: {colours}"
