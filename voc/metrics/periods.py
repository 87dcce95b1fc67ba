"""The time grain of a night's charts and trends, chosen from how much data the history holds.

Why: a fixed weekly grain draws seven years of a few reviews a day as hundreds of points of n = 1
or 2 zig-zagging between the ends of the scale, and a fixed 7-day trend window finds too few
mentions of any theme to claim a direction. :func:`choose_period` takes the finest grain (day,
week, month, quarter) at which most periods hold at least the minimum sample, and never more
points than a chart can show; :func:`latest_sufficient` picks the period a headline may quote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pandas as pd

#: grains from finest to coarsest
PERIODS: Final[tuple[str, ...]] = ("day", "week", "month", "quarter")
#: pandas period frequency of each grain (weeks start on Monday)
PERIOD_FREQ: Final[dict[str, str]] = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q"}
#: nominal length of each grain in days (trend windows are measured in days)
PERIOD_DAYS: Final[dict[str, int]] = {"day": 1, "week": 7, "month": 30, "quarter": 91}
#: share of periods that must reach the minimum sample: "most points"
MOST: Final = 0.5
#: more points than this is no longer a readable line; a coarser grain is taken
MAX_POINTS: Final = 120


def period_start(created_at: pd.Series, period: str) -> pd.Series:
    """Start of the day, ISO week (Monday), month or quarter of each timestamp."""
    if period not in PERIOD_FREQ:
        raise ValueError(f"period must be one of {list(PERIODS)} or None, got {period!r}")
    stamps = pd.to_datetime(created_at)
    return stamps.dt.to_period(PERIOD_FREQ[period]).dt.start_time


def choose_period(
    dates: pd.Series,
    *,
    min_n: int,
    candidates: Sequence[str] = PERIODS,
    most: float = MOST,
    max_points: int = MAX_POINTS,
) -> str:
    """The finest grain of ``candidates`` at which most periods hold at least ``min_n`` items.

    Parameters
    ----------
    dates : Series of datetime, shape (n,)
        One timestamp per counted item: the answers of a metric, or the records of a volume.
    min_n : int
        The minimum sample of one point (``metrics.min_period_n``).
    candidates : sequence of str
        Grains to try, finest first (a subset of :data:`PERIODS`).
    most : float
        Share of the periods between the first and the last item (empty ones included) that
        must reach ``min_n``.
    max_points : int
        A grain with more periods than this is passed over, whatever its sample.

    Returns
    -------
    str
        The grain; the coarsest candidate when none qualifies (also for no dates at all).
    """
    order = [p for p in PERIODS if p in candidates]
    if not order:
        raise ValueError(f"candidates must name some of {list(PERIODS)}, got {list(candidates)}")
    stamps = pd.to_datetime(pd.Series(dates), errors="coerce").dropna()
    if stamps.empty:
        return order[-1]
    for grain in order:
        starts = period_start(stamps, grain)
        counts = starts.value_counts()
        n_periods = len(pd.period_range(starts.min(), starts.max(), freq=PERIOD_FREQ[grain]))
        if n_periods > max_points:
            continue
        if (counts >= min_n).sum() >= most * n_periods:
            return grain
    return order[-1]


def resolve_period(setting: str, dates: pd.Series, *, min_n: int) -> str:
    """``metrics.period``: a fixed grain as given, ``auto`` chosen by :func:`choose_period`."""
    if setting == "auto":
        return choose_period(dates, min_n=min_n)
    if setting not in PERIOD_FREQ:
        raise ValueError(f"metrics.period must be auto or one of {list(PERIODS)}, got {setting!r}")
    return setting


def latest_sufficient(periods: pd.DataFrame) -> pd.Series | None:
    """The newest row of one metric's period series that is not flagged ``small_sample``.

    A headline quoting the latest period must not quote "100.0 (n=1)": the newest period with
    enough answers is the one to show, and the caller says which period it is. None when every
    period is small (the whole-window value is then the only honest number).

    Parameters
    ----------
    periods : DataFrame
        Rows of one metric with ``period_start`` and ``small_sample``.
    """
    if periods is None or periods.empty:
        return None
    frame = periods.loc[pd.to_datetime(periods["period_start"], errors="coerce").notna()]
    if "small_sample" in frame:
        frame = frame.loc[~frame["small_sample"].fillna(True).astype(bool)]
    if frame.empty:
        return None
    return frame.sort_values("period_start", kind="stable").iloc[-1]
