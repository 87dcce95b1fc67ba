"""The report a real night writes (not a hand-made context): its theme map has one point per theme."""

from __future__ import annotations

import math

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
