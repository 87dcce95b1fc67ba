"""The period fits the data: seven sparse years are drawn per quarter, a dense month per day."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from long_history import long_history

from voc.metrics import choose_period, compute_survey_metrics, latest_sufficient, resolve_period
from voc.metrics.periods import period_start


def _share_with_min(dates: pd.Series, grain: str, min_n: int) -> float:
    starts = period_start(dates, grain)
    counts = starts.value_counts()
    full = pd.period_range(
        starts.min(), starts.max(), freq={"day": "D", "week": "W", "month": "M", "quarter": "Q"}[grain]
    )
    return float((counts >= min_n).sum() / len(full))


def test_seven_sparse_years_get_a_coarse_grain_where_most_points_have_the_sample():
    records = long_history()
    grain = choose_period(records["created_at"], min_n=30)
    # about 17 records a month: months are too thin, quarters (about 50) are not
    assert grain == "quarter"
    assert _share_with_min(records["created_at"], "quarter", 30) >= 0.5
    assert _share_with_min(records["created_at"], "month", 30) < 0.5
    table = compute_survey_metrics(records, period=grain, min_sample=30)
    nps = table[table["metric"] == "nps"]
    assert (nps["period"] == "quarter").all()
    assert (~nps["small_sample"]).mean() >= 0.5
    assert nps["period_start"].dt.month.isin([1, 4, 7, 10]).all()


def test_a_dense_month_keeps_a_daily_grain_and_a_thin_one_goes_weekly():
    start = datetime(2024, 5, 1)
    dense = pd.Series([start + timedelta(days=d, minutes=m) for d in range(30) for m in range(40)])
    assert choose_period(dense, min_n=30) == "day"
    thin = pd.Series([start + timedelta(days=d, minutes=m) for d in range(30) for m in range(6)])
    assert choose_period(thin, min_n=30) == "week"


def test_too_many_points_go_coarser_even_when_each_is_full():
    start = datetime(2015, 1, 1)
    daily = pd.Series([start + timedelta(days=d, minutes=m) for d in range(0, 3000) for m in range(35)])
    assert choose_period(daily, min_n=30, max_points=120) == "month"  # 3000 days, 428 weeks, 99 months


def test_resolve_period_keeps_a_fixed_grain_and_rejects_an_unknown_one():
    dates = long_history()["created_at"]
    assert resolve_period("week", dates, min_n=30) == "week"
    assert resolve_period("auto", dates, min_n=30) == "quarter"
    with pytest.raises(ValueError, match="metrics.period"):
        resolve_period("fortnight", dates, min_n=30)


def test_headline_takes_the_newest_period_with_enough_answers():
    periods = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-07-01"]),
            "value": [20.0, 25.0, 100.0],
            "n": [80, 64, 1],
            "small_sample": [False, False, True],
        }
    )
    row = latest_sufficient(periods)
    assert row is not None and row["value"] == 25.0 and row["period_start"] == pd.Timestamp("2024-04-01")
    assert latest_sufficient(periods.assign(small_sample=True)) is None


def test_quarters_start_on_their_first_day():
    stamps = pd.Series(pd.to_datetime(["2024-02-29 10:00", "2024-12-31 23:59", "2025-04-01 00:00"]))
    assert list(period_start(stamps, "quarter")) == list(pd.to_datetime(["2024-01-01", "2024-10-01", "2025-04-01"]))
