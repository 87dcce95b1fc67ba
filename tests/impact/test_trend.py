"""The trend test: calibrated under no change, powerful under a real rise, guarded at low volume."""

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from long_history import END, long_history

from voc.config import ImpactSettings
from voc.impact.trend import Windows, rate_change_test, theme_trends, trend_windows

NOW = datetime(2024, 3, 31)


def test_percent_change_is_the_ratio_of_daily_rates():
    pct, _ = rate_change_test(np.array([14, 0, 5]), np.array([28, 8, 0]), current_exposure=7, baseline_exposure=28)
    # 14/7 = 2 a day against 28/28 = 1 a day; 0 against 8/28; a theme with no baseline has no %.
    assert pct[0] == 100.0
    assert pct[1] == -100.0
    assert np.isnan(pct[2])


def test_p_values_are_calibrated_when_nothing_changes():
    rng = np.random.default_rng(1)
    current = rng.poisson(3.0 * 7, size=4000)
    baseline = rng.poisson(3.0 * 28, size=4000)
    _, p = rate_change_test(current, baseline, current_exposure=7, baseline_exposure=28)
    assert (p < 0.05).mean() <= 0.06  # exact tests are conservative, never liberal


def test_a_doubling_is_detected():
    rng = np.random.default_rng(2)
    current = rng.poisson(6.0 * 7, size=500)
    baseline = rng.poisson(3.0 * 28, size=500)
    _, p = rate_change_test(current, baseline, current_exposure=7, baseline_exposure=28)
    assert (p < 0.05).mean() > 0.9


def _mentions(theme_id: int, days_ago: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "theme_id": theme_id,
            "record_id": [f"{theme_id}-{i}" for i in range(len(days_ago))],
            "created_at": [pd.Timestamp(NOW) - timedelta(days=d) for d in days_ago],
        }
    )


def test_guard_a_theme_seen_once_or_on_one_day_is_no_trend():
    growing = _mentions(1, [1, 2, 3, 4, 5, 6, 1.5, 2.5, 3.5, 4.5, 5.5, 20, 30])
    once = _mentions(2, [1])
    one_day = _mentions(3, [2.1, 2.2, 2.3, 2.4, 2.5, 2.6])
    trends = theme_trends(pd.concat([growing, once, one_day]), Windows(NOW, 7, 28), min_volume=5)
    assert trends.loc[1, "trend_pct"] > 0 and trends.loc[1, "trend_p_value"] < 0.01
    assert np.isnan(trends.loc[2, "trend_pct"]) and np.isnan(trends.loc[2, "trend_p_value"])
    assert np.isnan(trends.loc[3, "trend_p_value"]) and not trends.loc[3, "is_new"]


def test_windows_split_current_and_baseline():
    w = Windows(NOW, 7, 28)
    labels = w.label(pd.Series(pd.to_datetime([NOW - timedelta(days=d) for d in (0, 6.9, 7.1, 34.9, 35.1, -1)])))
    assert labels.fillna("-").tolist() == ["current", "current", "baseline", "baseline", "-", "-"]
    assert w.describe() == "week on week"


def test_no_trend_without_a_baseline_and_a_short_one_is_a_rate_over_the_days_it_covers():
    # a first night on 10 days of feedback: 3 days of baseline before the current week
    steady = _mentions(1, [d / 2 for d in range(20)])  # two a day for ten days
    trends = theme_trends(steady, Windows(NOW, 7, 28), min_volume=5)
    assert abs(trends.loc[1, "trend_pct"]) < 20 and trends.loc[1, "trend_p_value"] > 0.05  # flat, not -80 %
    # a week of data only: no baseline at all, no trend and nothing "new"
    week = theme_trends(_mentions(1, [d / 2 for d in range(13)]), Windows(NOW, 7, 28), min_volume=5)
    assert np.isnan(week.loc[1, "trend_pct"]) and not week.loc[1, "is_new"]
    # a night a week after the data end: the current period is empty, which is not a -100 % fall
    later = theme_trends(steady, Windows(NOW + timedelta(days=8), 7, 28), min_volume=5)
    assert later["trend_pct"].isna().all()


def test_a_long_sparse_history_gets_trends_at_a_grain_that_fits():
    """Seven years of a few reviews a day: a 7-day window claimed nothing; quarters against the
    four quarters before find the planted rise of theme 3 and give every theme a trend."""
    records = long_history()
    now = pd.Timestamp(END).normalize().to_pydatetime()
    windows = trend_windows(records["created_at"], now=now, settings=ImpactSettings())
    assert (windows.grain, windows.current_days, windows.baseline_days) == ("quarter", 91, 364)
    table = theme_trends(records[["theme_id", "record_id", "created_at"]], windows, min_volume=5)
    assert table["trend_pct"].notna().all()
    assert table.loc[3, "trend_pct"] > 50 and table.loc[3, "trend_p_value"] < 0.05
    fixed = Windows(now, 7, 28)
    assert (
        theme_trends(records[["theme_id", "record_id", "created_at"]], fixed, min_volume=5)["trend_pct"].isna().sum()
        >= 3
    )
    assert "quarter" in windows.describe()


def test_same_period_last_year_when_asked_and_the_history_reaches_back():
    records = long_history()
    now = pd.Timestamp(END).normalize().to_pydatetime()
    settings = ImpactSettings(trend_baseline="last_year", trend_period="quarter")
    windows = trend_windows(records["created_at"], now=now, settings=settings)
    assert windows.baseline_days == windows.current_days == 91
    assert windows.baseline_end == pd.Timestamp(now) - pd.Timedelta(days=364)
    assert windows.describe() == "against the same quarter last year"
    labels = windows.label(records["created_at"])
    baseline = records.loc[labels == "baseline", "created_at"]
    assert baseline.min() > pd.Timestamp(now) - pd.Timedelta(days=455) and baseline.max() <= windows.baseline_end
    # a history of a few months cannot compare with last year: the periods before stand in
    short = records.loc[records["created_at"] > pd.Timestamp(now) - pd.Timedelta(days=200), "created_at"]
    assert trend_windows(short, now=now, settings=settings).lag_days == 0


def test_dense_weeks_keep_week_on_week():
    rng = np.random.default_rng(0)
    stamps = pd.Series([NOW - timedelta(days=float(d)) for d in rng.uniform(0, 60, 3000)])
    windows = trend_windows(stamps, now=NOW, settings=ImpactSettings())
    assert (windows.current_days, windows.baseline_days) == (7, 28)
    assert windows.describe() == "week on week"
    assert (
        trend_windows(stamps, now=NOW, settings=ImpactSettings(trend_period="days", current_days=3)).current_days == 3
    )
