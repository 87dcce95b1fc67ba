"""The report in a real browser: sections, charts, sorting, filtering, isolation and XSS."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

SECTIONS = ("overview", "priorities", "themes", "unsaid", "alerts", "cx", "map", "quality", "method")

POINTS_JS = """
() => Array.from(document.querySelectorAll('.plot')).map(gd => ({
  id: gd.id,
  traces: (gd.data || []).length,
  points: (gd.data || []).reduce((sum, t) => {
    const arr = t.labels || t.y || t.x || [];
    return sum + (arr.length || 0);
  }, 0),
  drawn: gd.querySelectorAll('.point, .bars path, .slice, .scatterlayer path').length,
}))
"""


def _column(page, attr: str) -> list[str]:
    return page.eval_on_selector_all(
        "#priority-table tbody tr:not([hidden])", f"rows => rows.map(r => r.getAttribute('{attr}'))"
    )


def test_every_section_renders_with_data(opened):
    page = opened.page
    for name in SECTIONS:
        section = page.locator(f"section#{name}")
        assert section.is_visible(), name
        empties = section.locator("p.empty:visible").all_inner_texts()
        # "Non-responders" has no data in the fixture on purpose.
        assert empties == (["Nothing found tonight."] if name == "unsaid" else []), (name, empties)
    assert page.locator("#theme-cards > article").count() == 5
    assert page.locator("section#alerts tbody tr").count() == 2
    opened.screenshot("report_full")
    for name in SECTIONS:
        opened.screenshot(f"report_{name}", selector=f"section#{name}")


def test_charts_have_points(opened):
    plots = opened.page.evaluate(POINTS_JS)
    ids = {p["id"] for p in plots}
    assert ids == {
        "fig-metrics-trend",
        "fig-records-over-time",
        "fig-theme-map",
        "fig-theme-hierarchy",
        "fig-cx-scores",
    }
    for plot in plots:
        assert plot["traces"] > 0 and plot["points"] > 0 and plot["drawn"] > 0, plot
    trend = next(p for p in plots if p["id"] == "fig-metrics-trend")
    assert trend["traces"] == 3 and trend["points"] == 3 * 12


def test_sorting_the_priority_table(opened):
    page = opened.page
    before = _column(page, "data-rank")
    assert before == sorted(before, key=float)
    header = page.locator("#priority-table th[data-sort='n_records']")
    header.click()
    values = [float(v) for v in _column(page, "data-n-records")]
    assert values == sorted(values) and header.get_attribute("aria-sort") == "ascending"
    header.click()
    values = [float(v) for v in _column(page, "data-n-records")]
    assert values == sorted(values, reverse=True) and header.get_attribute("aria-sort") == "descending"
    # Missing values (a theme without a trend) stay last in both directions.
    trend = page.locator("#priority-table th[data-sort='trend_pct']")
    for _ in range(2):
        trend.click()
        assert _column(page, "data-trend-pct")[-1] == ""
    by_label = page.locator("#priority-table th[data-sort='theme_label']")
    by_label.click()
    labels = _column(page, "data-theme-label")
    in_order = page.evaluate("ls => ls.slice().sort((a, b) => a.localeCompare(b))", labels)
    assert labels == in_order and len(set(labels)) == 5
    by_label.click()
    assert _column(page, "data-theme-label") == in_order[::-1]
    opened.screenshot("priorities_sorted", selector="section#priorities")


def test_filtering_priorities_and_theme_cards(opened):
    page = opened.page
    box = page.locator("#priority-filter")
    box.fill("login")
    assert page.locator("#priority-table tbody tr:not([hidden])").count() == 1
    assert "1 of 5" in page.locator("[data-count-for='priority-table']").inner_text()
    box.fill("łączność niczego nie ma")
    assert page.locator("#priority-table tbody tr:not([hidden])").count() == 0
    assert page.locator("[data-empty-for='priority-table']").is_visible()
    box.fill("")
    page.select_option("#priority-area", "how we serve")
    assert page.locator("#priority-table tbody tr:not([hidden])").count() == 3
    page.select_option("#priority-area", "")
    assert page.locator("#priority-table tbody tr:not([hidden])").count() == 5
    cards = page.locator("#theme-filter")
    cards.fill("довгі")
    assert page.locator("#theme-cards > article:not([hidden])").count() == 1
    cards.fill("")
    assert page.locator("#theme-cards > article:not([hidden])").count() == 5


def test_no_console_errors_and_no_network(opened):
    page = opened.page
    page.locator("#priority-table th[data-sort='share']").click()
    page.locator("#fig-theme-map").hover()
    assert opened.errors == []
    assert [m for m in opened.console if m[0] in ("error", "warning")] == []
    assert opened.requests == [opened.url]


def test_xss_verbatims_are_inert(opened, synthetic):
    page = opened.page
    for details in page.locator("details").all():
        details.evaluate("d => d.open = true")
    page.wait_for_timeout(200)
    assert opened.dialogs == []
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img").count() == 0
    assert page.locator("body script").count() == 2 + page.locator("script.figure-data").count()
    # The hostile text is shown to the analyst as text.
    assert page.get_by_text("<script>window.__xss = 1;", exact=False).count() >= 1
    assert page.get_by_text('<img src=x onerror="window.__xss=2', exact=False).count() >= 1


def test_long_verbatim_is_collapsed_and_record_link_opens_its_row(opened):
    page = opened.page
    card = page.locator("#theme-0")
    card.locator("details.theme-detail > summary").click()  # the card's body, folded by the reset
    for more in card.locator("details.more-quotes > summary").all():
        more.click()
    details = card.locator("blockquote details").first
    assert details.get_attribute("open") is None
    details.locator("summary").click()
    assert details.get_attribute("open") is not None
    link = card.locator("a.rec").first
    target = link.get_attribute("href")[1:]
    assert not page.locator(f"[id='{target}']").is_visible()
    link.click()
    assert page.locator(f"[id='{target}']").is_visible()
    # a quote's record opens even from a folded card: every folded level around the row opens
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = false; })")
    page.evaluate(f"document.querySelector(\"a.rec[href='#{target}']\").click()")
    assert page.locator(f"[id='{target}']").is_visible()


def test_minimal_report_says_no_data(opened_minimal):
    page = opened_minimal.page
    assert opened_minimal.errors == [] and opened_minimal.requests == [opened_minimal.url]
    for name in ("cx", "map", "quality", "alerts"):
        assert page.locator(f"section#{name} p.empty").count() >= 1, name
    assert page.locator("#priority-table tbody tr").count() == 1
    opened_minimal.screenshot("report_minimal")
