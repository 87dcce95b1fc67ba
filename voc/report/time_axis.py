"""Tick labels for time axes that say the year wherever the axis crosses one.

Why: plotly's "%b %d" ticks on seven years of data repeat "Jan 01" with no year, and a reader
cannot tell 2019 from 2024. The ticks here are chosen from the span (years, months or days) and
every tick that starts a new year, and the first one, carries the year.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

#: spans longer than this many days are labelled by year, longer than ``MONTHS_OVER`` by month
YEARS_OVER = 3 * 365
MONTHS_OVER = 80


def time_ticks(dates: Sequence[object] | pd.Series, *, max_ticks: int = 6) -> tuple[list[str], list[str]]:
    """Tick positions (ISO dates, as the figures' x values) and their labels.

    Parameters
    ----------
    dates : sequence of datetime-like, shape (n,)
        The x values of the chart (any order, NaT ignored).
    max_ticks : int
        At most this many ticks.

    Returns
    -------
    (values, labels) : two lists of str, the same length
        Labels are "2021" on a multi-year axis, "Jan 2021" / "Apr" on months, "Mar 04 2024" /
        "Mar 11" on days: the year is written on the first tick and on every tick in a new year.
    """
    stamps = pd.to_datetime(pd.Series(list(dates)), errors="coerce").dropna()
    if stamps.empty:
        return [], []
    low, high = stamps.min().normalize(), stamps.max().normalize()
    span = (high - low).days
    if span > YEARS_OVER:
        starts = pd.date_range(low.to_period("Y").start_time, high, freq="YS")
        starts = starts[starts >= low] if (starts >= low).any() else starts
        ticks = _every(starts, max_ticks)
        return [d.strftime("%Y-%m-%d") for d in ticks], [d.strftime("%Y") for d in ticks]
    if span > MONTHS_OVER:
        starts = pd.date_range(low.to_period("M").start_time, high, freq="MS")
        starts = starts[starts >= low] if (starts >= low).any() else starts
        ticks = _every(starts, max_ticks)
        return [d.strftime("%Y-%m-%d") for d in ticks], _with_years(ticks, "%b", "%b %Y")
    ticks = _every(pd.DatetimeIndex(sorted(set(stamps.dt.normalize()))), max_ticks)
    return [d.strftime("%Y-%m-%d") for d in ticks], _with_years(ticks, "%b %d", "%b %d %Y")


def _every(starts: pd.DatetimeIndex, max_ticks: int) -> list[pd.Timestamp]:
    """Every k-th of ``starts`` so that at most ``max_ticks`` remain (the first always kept)."""
    step = max(1, math.ceil(len(starts) / max(max_ticks, 1)))
    return list(starts[::step])


def _with_years(ticks: Sequence[pd.Timestamp], short: str, long: str) -> list[str]:
    """``long`` (with the year) on the first tick and where the year changes, ``short`` elsewhere."""
    labels, year = [], None
    for tick in ticks:
        labels.append(tick.strftime(long if tick.year != year else short))
        year = tick.year
    return labels
