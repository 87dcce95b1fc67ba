"""Is a theme growing? Counts in the current period against a baseline of like periods.

The periods fit the data (:func:`trend_windows`): the current period is one week, month or
quarter, whichever grain gives most periods of the history the minimum sample, and the baseline
is the periods right before it (``impact.baseline_periods`` of them), or the same period a year
earlier (``impact.trend_baseline: last_year``) when the history reaches back that far. On seven
years of a few reviews a day a fixed 7-day window held too few mentions of any theme to claim a
direction, and every trend was empty.

Method: the exact conditional test for two Poisson rates. If a theme's mentions arrive at the
same daily rate in both periods, then given the total ``c + b`` the current count ``c`` is
Binomial(c + b, T_c / (T_c + T_b)) where ``T`` are the period lengths in days. This needs no
normal approximation, so it stays honest at the small counts most themes have.

The minimum-volume guard: fewer than ``min_volume`` mentions in both periods together, or
mentions on fewer than two distinct days, is no trend (NaN), because one burst or one record
says nothing about direction. The coverage guard: when the data begin after the baseline period
starts (a first night on a few weeks of feedback) the baseline rate is taken over the days the
data cover, and with less than a day of baseline, or no data at all in the current period (a
night later than the data), no theme has a trend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from scipy import stats

from voc.config import ImpactSettings
from voc.impact._frames import naive_utc
from voc.metrics.periods import PERIOD_DAYS, choose_period

#: grains a trend may compare; a day of feedback is too noisy to call a direction
TREND_PERIODS: tuple[str, ...] = ("week", "month", "quarter")
#: days one year back, for "the same period last year"
YEAR_DAYS = 364


@dataclass(frozen=True)
class Windows:
    """The current period ``(now - current_days, now]`` and its baseline.

    The baseline is the ``baseline_days`` right before the current period, or, with ``lag_days``,
    the ``baseline_days`` ending that many days before it (``lag_days = 364 - current_days`` and
    ``baseline_days = current_days``: the same period one year earlier). ``grain`` names the
    period for the reader ("month"); None for a window given in days.
    """

    now: datetime
    current_days: int
    baseline_days: int
    lag_days: int = 0
    grain: str | None = None

    @property
    def current_start(self) -> pd.Timestamp:
        return pd.Timestamp(self.now) - timedelta(days=self.current_days)

    @property
    def baseline_end(self) -> pd.Timestamp:
        return self.current_start - timedelta(days=self.lag_days)

    @property
    def baseline_start(self) -> pd.Timestamp:
        return self.baseline_end - timedelta(days=self.baseline_days)

    def label(self, when: pd.Series) -> pd.Series:
        """ "current", "baseline" or None per timestamp (shape (n,))."""
        when = naive_utc(when)
        now = pd.Timestamp(self.now)
        out = pd.Series(None, index=when.index, dtype=object)
        out[(when > self.current_start) & (when <= now)] = "current"
        out[(when > self.baseline_start) & (when <= self.baseline_end)] = "baseline"
        return out

    def describe(self) -> str:
        """Plain words for the comparison, e.g. "week on week", "against the same quarter last year"."""
        if self.lag_days:
            return f"against the same {self.grain or f'{self.current_days} days'} last year"
        if self.grain in ("month", "quarter"):
            n = round(self.baseline_days / self.current_days)
            return f"{self.grain} on the {n} {self.grain}s before" if n > 1 else f"{self.grain} on {self.grain}"
        if self.current_days == 7:
            return "week on week"
        if self.current_days == 1:
            return "day on day"
        return f"over the last {self.current_days} days against the {self.baseline_days} before"


def trend_windows(dates: pd.Series, *, now: datetime, settings: ImpactSettings) -> Windows:
    """The current period and its baseline for a night, fitted to the history's volume.

    Parameters
    ----------
    dates : Series of datetime, shape (n,)
        When each record with a comment was written (the volume trends are counted on).
    now : datetime
        End of the current period (the night's cutoff).
    settings : ImpactSettings
        ``trend_period`` (``auto``: the finest of week, month, quarter at which most periods hold
        ``min_period_n`` records; ``days``: ``current_days`` against the ``baseline_days``
        before, as given), ``baseline_periods`` and ``trend_baseline``.

    Returns
    -------
    Windows
        With ``trend_baseline: last_year``, the same period a year earlier when the history
        reaches back to it, else the periods right before.
    """
    if settings.trend_period == "days":
        return Windows(now, settings.current_days, settings.baseline_days)
    grain: str = settings.trend_period
    if grain == "auto":
        when = naive_utc(pd.to_datetime(dates, errors="coerce"))
        grain = choose_period(when[when < pd.Timestamp(now)], min_n=settings.min_period_n, candidates=TREND_PERIODS)
    days = PERIOD_DAYS[grain]
    if settings.trend_baseline == "last_year":
        year_ago = Windows(now, days, days, lag_days=YEAR_DAYS - days, grain=grain)
        oldest = naive_utc(pd.to_datetime(dates, errors="coerce")).min()
        if pd.notna(oldest) and oldest <= year_ago.baseline_start:
            return year_ago
    return Windows(now, days, days * settings.baseline_periods, grain=grain)


def rate_change_test(
    current: np.ndarray,
    baseline: np.ndarray,
    *,
    current_exposure: float,
    baseline_exposure: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Percent change of the rate and a two-sided exact p-value, element-wise.

    Parameters
    ----------
    current, baseline : array of int, shape (n,)
        Counts in the current and baseline periods.
    current_exposure, baseline_exposure : float
        Period lengths (days) or any other exposure the counts are rates of.

    Returns
    -------
    pct : array of float, shape (n,)
        ``100 * (rate_current / rate_baseline - 1)``; NaN when the baseline count is 0
        (a new theme has no growth percentage, it is simply new).
    p_value : array of float, shape (n,)
        Two-sided exact binomial p-value; 1.0 when both counts are 0.
    """
    c = np.asarray(current, dtype=float)
    b = np.asarray(baseline, dtype=float)
    total = c + b
    share = current_exposure / (current_exposure + baseline_exposure)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(b > 0, 100.0 * ((c / current_exposure) / (b / baseline_exposure) - 1.0), np.nan)
    lower = stats.binom.cdf(c, total, share)
    upper = stats.binom.sf(c - 1, total, share)
    p_value = np.minimum(1.0, 2.0 * np.minimum(lower, upper))
    p_value = np.where(total > 0, p_value, 1.0)
    return pct, p_value


def one_sided_excess_p(
    current: np.ndarray, baseline: np.ndarray, *, current_exposure: float, baseline_exposure: float
) -> np.ndarray:
    """P(count >= current) under "same rate as baseline" (exact conditional test), shape (n,).

    Used for spikes, where only an increase matters.
    """
    c = np.asarray(current, dtype=float)
    b = np.asarray(baseline, dtype=float)
    share = current_exposure / (current_exposure + baseline_exposure)
    return np.where(c > 0, stats.binom.sf(c - 1, c + b, share), 1.0)


def theme_trends(mentions: pd.DataFrame, windows: Windows, *, min_volume: int) -> pd.DataFrame:
    """Per-theme trend from a mentions table (``theme_id``, ``record_id``, ``created_at``).

    Returns
    -------
    DataFrame indexed by theme_id with ``n_current``, ``n_baseline``, ``trend_pct``,
    ``trend_p_value`` (NaN where the minimum-volume guard applies) and ``is_new`` (seen in the
    current period only, with enough volume to count).
    """
    frame = mentions[["theme_id", "record_id", "created_at"]].drop_duplicates(["theme_id", "record_id"]).copy()
    when = naive_utc(pd.to_datetime(frame["created_at"])).dropna()
    baseline_days = 0.0
    if len(when) and when.max() > windows.current_start:
        covered = (windows.baseline_end - max(when.min(), windows.baseline_start)) / timedelta(days=1)
        baseline_days = float(min(windows.baseline_days, max(covered, 0.0)))
    covered = baseline_days >= 1.0
    frame["period"] = windows.label(frame["created_at"]).to_numpy()
    frame = frame.dropna(subset=["period"])
    frame["day"] = pd.to_datetime(frame["created_at"]).dt.floor("D")
    counts = frame.pivot_table(index="theme_id", columns="period", values="record_id", aggfunc="count", fill_value=0)
    counts = counts.reindex(columns=["current", "baseline"], fill_value=0)
    days_seen = frame.groupby("theme_id")["day"].nunique().reindex(counts.index, fill_value=0)
    pct, p_value = rate_change_test(
        counts["current"].to_numpy(),
        counts["baseline"].to_numpy(),
        current_exposure=windows.current_days,
        baseline_exposure=baseline_days if covered else windows.baseline_days,
    )
    enough = ((counts["current"] + counts["baseline"]) >= min_volume) & (days_seen >= 2) & covered
    out = pd.DataFrame(
        {
            "n_current": counts["current"].astype(int),
            "n_baseline": counts["baseline"].astype(int),
            "trend_pct": np.where(enough, pct, np.nan),
            "trend_p_value": np.where(enough, p_value, np.nan),
        },
        index=counts.index,
    )
    out["is_new"] = enough & (out["n_baseline"] == 0)
    out.index.name = "theme_id"
    return out
