"""Time axes name the year wherever they cross one."""

from __future__ import annotations

import pandas as pd
from long_history import long_history

from voc.metrics import compute_survey_metrics
from voc.report.figures import metrics_trend_figure, records_over_time_figure
from voc.report.time_axis import time_ticks


def test_seven_years_are_labelled_by_year_never_a_bare_jan_01():
    quarters = pd.date_range("2018-01-01", "2025-01-01", freq="QS")
    values, labels = time_ticks(quarters, max_ticks=6)
    assert len(values) <= 6 and labels[0] == "2018"
    assert all(label.isdigit() and len(label) == 4 for label in labels)
    assert [pd.Timestamp(v).year for v in values] == [int(label) for label in labels]


def test_months_and_days_write_the_year_on_the_first_tick_and_where_it_changes():
    _, months = time_ticks(pd.date_range("2023-09-01", "2024-06-01", freq="MS"), max_ticks=12)
    assert months[0] == "Sep 2023" and "Jan 2024" in months
    assert sum(any(ch.isdigit() for ch in label) for label in months) == 2
    _, days = time_ticks(pd.date_range("2023-12-20", "2024-01-10", freq="D"), max_ticks=8)
    assert days[0].endswith("2023") and any(label.endswith("2024") for label in days[1:])
    assert sum(label.endswith(("2023", "2024")) for label in days) == 2


def test_the_score_chart_of_a_long_history_has_year_ticks_and_hollow_small_points():
    records = long_history()
    metrics = compute_survey_metrics(records, period="quarter", min_sample=50).assign(dimension="all")
    fig = metrics_trend_figure(metrics)
    axis = fig.layout.xaxis
    assert axis.tickmode == "array" and all(t.isdigit() for t in axis.ticktext)
    trace = fig.data[0]
    small = metrics.sort_values("period_start")["small_sample"].tolist()
    assert any(small) and not all(small)
    assert [c == "#ffffff" for c in trace.marker.color] == small
    assert any("fewer answers" in (a.text or "") for a in fig.layout.annotations)


def test_records_over_seven_years_are_counted_per_month_not_per_day():
    records = long_history().assign(source="reviews", source_type="review")
    fig = records_over_time_figure(records, by="source")
    assert len(fig.data[0].x) <= 120
    assert sum(fig.data[0].y) == len(records)
    assert all(t.isdigit() for t in fig.layout.xaxis.ticktext)
