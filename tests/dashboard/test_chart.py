"""The trend chart: well-formed SVG, one stacked bar per kind and day with counts, round grid labels, escaped text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

from lib.dashboard.chart import _nice_max, trend_svg
from lib.dashboard.queries import Day

SVG = "{http://www.w3.org/2000/svg}"


def _days() -> list[Day]:
    start = date(2026, 11, 1)
    return [Day(start + timedelta(days=n), messages=n, drafts=n // 2, auto_sent=n % 2, unchanged=n, minor_edit=1, major_rewrite=n % 3)
            for n in range(30)]


def test_the_chart_is_well_formed_svg_with_bars_and_lines() -> None:
    root = ET.fromstring(str(trend_svg(_days(), "Trend <for> \"Acme\" & co")))
    assert root.tag == f"{SVG}svg" and root.get("aria-label") == 'Trend <for> "Acme" & co'
    bars = [rect for rect in root.iter(f"{SVG}rect") if "bar" in (rect.get("class") or "")]
    assert len([b for b in bars if "unchanged" in b.get("class", "")]) == 29  # day 0 has none
    assert len([b for b in bars if "minor_edit" in b.get("class", "")]) == 30
    assert all(float(b.get("height")) > 0 for b in bars)
    lines = {line.get("class"): line for line in root.iter(f"{SVG}polyline")}
    assert set(lines) == {"line messages", "line drafts", "line auto_sent"}
    assert len(lines["line messages"].get("points").split()) == 30


def test_taller_values_draw_taller_bars() -> None:
    root = ET.fromstring(str(trend_svg(_days(), "t")))
    heights = {rect.find(f"{SVG}title").text.split(":")[0]: float(rect.get("height"))
               for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar unchanged"}
    assert heights["2026-11-30"] > heights["2026-11-10"] > heights["2026-11-02"]


def test_an_empty_trend_still_draws_axes() -> None:
    root = ET.fromstring(str(trend_svg([Day(date(2026, 11, 1))], "empty")))
    assert [t.text for t in root.iter(f"{SVG}text")][:5] == ["0", "1", "2", "3", "4"]


def test_grid_maxima_are_round() -> None:
    assert [_nice_max(v) for v in (0, 3, 4, 5, 9, 17, 41, 399, 401)] == [4, 4, 4, 8, 20, 20, 80, 400, 800]
