"""Figures, formatters, sparklines and the markdown summary, each on its own."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from voc.report import figures, summary_markdown
from voc.report import formatting as fmt
from voc.report.svg import sparkline
from voc.report.view import build_view


def test_metrics_trend_has_one_panel_per_metric_with_intervals(ctx):
    fig = figures.metrics_trend_figure(ctx.metrics)
    assert [t.name for t in fig.data] == ["NPS (points)", "CSAT (% satisfied)", "CES (mean, 1–7)"]
    nps = ctx.metrics[(ctx.metrics["metric"] == "nps") & (ctx.metrics["dimension"] == "all")]
    trace = fig.data[0]
    assert list(trace.y) == pytest.approx(nps.sort_values("period_start")["value"].tolist())
    assert list(trace.error_y.array) == pytest.approx((nps["ci_high"] - nps["value"]).tolist())
    # The small-sample first period is drawn hollow.
    assert trace.marker.color[0] == "#ffffff" and trace.marker.color[1] != "#ffffff"


def test_figures_are_none_without_data(ctx):
    assert figures.metrics_trend_figure(ctx.metrics.iloc[0:0]) is None
    assert figures.theme_map_figure(ctx.themes.drop(columns=["x", "y"])) is None
    assert figures.theme_hierarchy_figure(ctx.themes.assign(parent_id=None)) is None
    assert figures.cx_scores_figure(pd.DataFrame()) is None
    assert figures.records_over_time_figure(ctx.records.drop(columns=["created_at"])) is None


def test_theme_map_sizes_follow_volume_and_escape_labels(ctx):
    themes = ctx.themes.copy()
    themes.loc[0, "label"] = "<b onmouseover=x>bold</b>"
    fig = figures.theme_map_figure(themes)
    sizes = np.array(fig.data[0].marker.size)
    order = np.argsort(themes["n_records"].to_numpy())
    assert np.all(np.diff(sizes[order]) >= 0)
    assert fig.data[0].text[0] == "&lt;b onmouseover=x&gt;bold&lt;/b&gt;"


def test_hierarchy_hangs_children_on_their_parent(ctx):
    fig = figures.theme_hierarchy_figure(ctx.themes)
    tree = dict(zip(fig.data[0].ids, fig.data[0].parents))
    assert tree["t0"] == "t10" and tree["t2"] == "t10" and tree["t10"] == "root" and tree["t1"] == "root"


def test_cx_scores_figure_has_a_panel_per_level(ctx):
    fig = figures.cx_scores_figure(ctx.cx_scores)
    assert len(fig.data) == 3
    assert sorted(fig.data[0].x) == sorted(ctx.cx_scores.query("level == 'area'")["score_pct"])
    stages = fig.data[2]
    assert dict(zip(stages.y, stages.text)) == {"delivery": "35 %", "renewal": "no data"}


def test_records_over_time_counts_every_record(ctx):
    fig = figures.records_over_time_figure(ctx.records)
    assert sum(sum(t.y) for t in fig.data) == len(ctx.records)
    assert {t.name for t in fig.data} == set(ctx.records["source"])


@pytest.mark.parametrize("value", [None, np.nan, pd.NaT, float("inf"), "x"])
def test_formatters_never_show_nan(value):
    for f in (fmt.number, fmt.signed, fmt.percent, fmt.p_value, fmt.ratio, fmt.compact):
        assert f(value) == fmt.DASH
    assert "nan" not in fmt.cell(value).lower()


def test_formatters():
    assert fmt.number(12345.6) == "12\u202f346"
    assert fmt.signed(-4.12) == "−4.1" and fmt.signed(3) == "+3.0"
    assert fmt.percent(0.123) == "12\u202f%" and fmt.percent(45, fraction=False) == "45\u202f%"
    assert fmt.p_value(1e-7) == "< 0.001" and fmt.p_value(0.04) == "0.040"
    assert fmt.compact(12345) == "12.3k" and fmt.compact(2_500_000) == "2.5M" and fmt.compact(800) == "800"
    assert fmt.language("uk") == "Ukrainian" and fmt.language(None) == "Unknown"
    assert fmt.humanize("score_text_mismatch") == "Score text mismatch"
    assert float(fmt.sort_key(3)) == 3.0 and fmt.sort_key(None) == ""


def test_sparkline_scales_points_into_the_box():
    svg = str(sparkline([0, 5, 10], width=100, height=20, title="<t>"))
    assert "&lt;t&gt;" in svg and "<t>" not in svg
    points = svg.split('<polyline points="')[1].split('"')[0].split()
    xs, ys = zip(*[map(float, p.split(",")) for p in points])
    assert xs[0] < xs[1] < xs[2] and ys[0] > ys[1] > ys[2]  # higher value, higher on screen
    assert all(0 <= y <= 20 for y in ys) and all(0 <= x <= 100 for x in xs)
    assert str(sparkline([3])) == ""


def test_view_orders_cards_by_rank_then_volume(ctx):
    ctx.priorities = ctx.priorities.assign(rank=ctx.priorities["rank"][::-1].to_numpy())
    ctx.priorities = ctx.priorities[ctx.priorities["theme_id"] != 1]
    view = build_view(ctx)
    ids = [c["id"] for c in view["themes"]["cards"]]
    assert ids[:4] == ctx.priorities.sort_values("rank")["theme_id"].tolist() and ids[4] == 1


def test_card_split_is_the_priority_rows_split(ctx):
    view = build_view(ctx)
    for card in view["themes"]["cards"]:
        row = ctx.priorities.loc[ctx.priorities["theme_id"] == card["id"]]
        if row.empty:
            assert card["split"] == {}  # not ranked: no mention in the period, no split
            continue
        row = row.iloc[0]
        assert card["split"]["total"] == row["n_negative"] + row["n_neutral"] + row["n_positive"]
        assert card["split"]["negative"]["n"] == row["n_negative"]
        assert card["split"]["negative"]["text"] == fmt.percent(row["negativity"])
        assert math.isclose(sum(card["split"][k]["pct"] for k in ("negative", "neutral", "positive")), 100, abs_tol=0.2)


def test_summary_markdown(ctx, tmp_path):
    ctx.priorities.loc[0, "why"] = "a | b [x](http://evil.invalid)"
    text = summary_markdown(ctx, report_path=tmp_path / "report.html")
    assert "report.html" in text and "## Fix first" in text and "## Alerts" in text
    assert "a \\| b \\[x\\](http://evil.invalid)" in text
    table = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(table) == len(ctx.priorities)
    assert "<script>" not in text


def test_generic_tables_show_shares_as_percentages():
    from voc.report.view import table

    t = table(
        pd.DataFrame(
            {
                "share": [0.31, np.nan],
                "churn_rate": [0.5, 0.25],
                "score_pct": [42.0, 7.5],
                "n": [3, 4],
                "note": ["a", "b"],
            }
        )
    )
    assert [c["text"] for c in t["rows"][0]] == ["31.0\u202f%", "50.0\u202f%", "42.0\u202f%", "3", "a"]
    assert t["rows"][1][0]["text"] == fmt.DASH
    assert [c["num"] for c in t["columns"]] == [True, True, True, True, False]


def test_scores_by_group_and_by_theme(ctx):
    view = build_view(ctx)
    seg = view["overview"]["segments"]
    assert seg["metrics"] == ["NPS"]
    assert [(r["dimension"], r["group"]) for r in seg["rows"]] == [("Segment", "business"), ("Segment", "private")]
    assert seg["rows"][0]["cells"][0]["small"] and not seg["rows"][1]["cells"][0]["small"]
    cards = {c["id"]: c for c in view["themes"]["cards"]}
    assert [(s["label"], s["value"], s["n"]) for s in cards[0]["scores"]] == [("NPS", "−31.0", "85")]
    assert cards[1]["scores"][0]["small"] and cards[2]["scores"] == []


def test_a_score_from_a_handful_of_answers_is_not_a_headline_value():
    from voc.report.view_overview import TOO_FEW_ANSWERS, headline_figures

    metrics = pd.DataFrame(
        {
            "metric": ["nps", "csat"],
            "dimension": ["overall", "overall"],
            "group": ["all", "all"],
            "period_start": [pd.NaT, pd.NaT],
            "value": [-100.0, 80.0],
            "ci_low": [np.nan, 70.0],
            "ci_high": [np.nan, 88.0],
            "n": [1, 120],
            "small_sample": [True, False],
        }
    )
    shown = {h["metric"]: h for h in headline_figures(metrics)}
    assert shown["nps"]["withheld"] and TOO_FEW_ANSWERS > 1
    assert not shown["csat"]["withheld"] and shown["csat"]["value"] == "80.0"
