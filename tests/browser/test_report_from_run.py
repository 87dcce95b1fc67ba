"""The report a real night writes (not a hand-made context): its theme map has one point per theme."""

from __future__ import annotations

import math
import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("demo_run")]


def test_theme_map_of_a_real_night_is_drawn_with_a_point_per_theme(open_report, demo_run):
    themes = demo_run.catalog["context"].themes
    placed = themes[[not (math.isnan(x) or math.isnan(y)) for x, y in zip(themes["x"], themes["y"])]]
    assert len(placed) >= 3

    opened = open_report(demo_run.paths["report"])
    plot = opened.page.evaluate(
        """() => { const gd = document.getElementById('fig-theme-map');
                       return gd ? {points: gd.data.reduce((n, t) => n + (t.x || []).length, 0),
                                    drawn: gd.querySelectorAll('.scatterlayer .point').length} : null; }"""
    )
    assert plot is not None, "the report has no theme map"
    assert plot["points"] == len(placed) and plot["drawn"] == len(placed), plot
    opened.screenshot("report_run_theme_map", selector="section#map")


#: Width a manager reads the report at, and the most the whole page may take at that width.
READING_WIDTH = 1400
MAX_PAGE_PX = 15_000


@pytest.mark.parametrize("night", ["long_history_run", "no_score_run"])
def test_a_real_night_reads_on_one_screen_width_and_prints_one_page(open_report, night, request):
    result = request.getfixturevalue(night)
    opened = open_report(result.paths["report"])
    page = opened.page
    page.set_viewport_size({"width": READING_WIDTH, "height": 1000})
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= MAX_PAGE_PX, height
    assert not opened.errors and not [r for r in opened.requests if not r.startswith("file:")]

    # the top themes are open, the rest folded in one list that the search opens
    open_cards = page.locator("#theme-cards > article.card.theme details.theme-detail[open]").count()
    assert 1 <= open_cards <= 5
    more = page.locator("details.more-themes")
    if more.count():
        assert more.get_attribute("open") is None
        first_folded = page.locator("details.more-themes article.card.theme").first
        label = re.sub(r"^#\d+", "", first_folded.locator("h3").text_content() or "").strip()
        assert label
        page.fill("#theme-filter", label)
        assert more.get_attribute("open") is not None and first_folded.is_visible()
        page.fill("#theme-filter", "")
    opened.screenshot(f"report_{night}")

    # printed (or saved as PDF), the report is the one-page summary: headline, top ten, alerts
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1
    page.emulate_media(media="print")
    assert page.locator("#summary").is_visible() and not page.locator("#themes").is_visible()
    assert page.locator("#summary tbody tr").count() == min(10, page.locator("#priority-table tbody tr").count())
    page.emulate_media(media="screen")
