"""Alerts on negative signals: theme spikes per segment, new themes and sharp sentiment drops.

Method
------
- **spike**: for each theme, overall (segment ``"(all)"``) and per segment, the mentions in the
  last day and in the last 7 days are compared with the daily rate of the ``baseline_days``
  before that window, with the exact conditional Poisson test (one-sided,
  :func:`voc.impact.trend.one_sided_excess_p`). An alert needs at least ``min_count`` mentions
  in the window and p < ``p_value``. One spike gives one alert: the most significant window, under
  the segment it is concentrated in, else under "(all)" (see :func:`_one_per_theme`).
- **new_theme**: a theme born in the last 7 days (not retired) that was never alerted before, and
  born after the registry's first fit: on a first night every theme is new, which says nothing.
- **sentiment_drop**: mean mention sentiment over the last 7 days at least ``sentiment_drop``
  below the baseline mean, Welch's t-test p < ``p_value``, at least ``min_count`` mentions.
- **cooldown**: an alert of the same kind, theme and segment in ``history`` within
  ``cooldown_days`` before ``now`` suppresses a new one (for new themes: any earlier alert).
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from voc.config import AlertSettings
from voc.impact._frames import label_of, theme_labels, theme_mentions, with_record_columns
from voc.impact.trend import one_sided_excess_p

ALERT_COLUMNS: Final[tuple[str, ...]] = (
    "kind",
    "theme_id",
    "theme_label",
    "segment",
    "observed",
    "expected",
    "p_value",
    "message",
    "created_at",
)
ALL_SEGMENTS: Final = "(all)"
#: Windows (days) checked for spikes: a sudden one-day burst and a week-long rise.
SPIKE_WINDOWS: Final[tuple[int, ...]] = (1, 7)
#: Days of the "recent" period for new themes and sentiment drops.
RECENT_DAYS: Final = 7
BASELINE_DAYS: Final = 28
#: A segment holding at least this share of a theme's overall spike names the spike.
SEGMENT_SHARE: Final = 0.8
#: ... and its share must exceed its baseline share by this much.
SEGMENT_LIFT: Final = 0.25


def detect_alerts(
    records: pd.DataFrame,
    record_themes: pd.DataFrame,
    themes: pd.DataFrame,
    *,
    history: pd.DataFrame | None,
    settings: AlertSettings,
    now: datetime,
) -> pd.DataFrame:
    """New alerts as of ``now``.

    Parameters
    ----------
    records, record_themes, themes : DataFrame
        The canonical tables (:mod:`voc.schemas`).
    history : DataFrame or None
        Previous alerts with at least ``kind``, ``theme_id``, ``segment``, ``created_at``.
    settings : AlertSettings
        ``p_value``, ``min_count``, ``cooldown_days``, ``sentiment_drop``.
    now : datetime
        The moment of the run (naive UTC).

    Returns
    -------
    DataFrame with :data:`ALERT_COLUMNS`, ordered by kind then p-value.
    """
    mentions = theme_mentions(with_record_columns(records), record_themes)
    labels = theme_labels(themes)
    now_ts = pd.Timestamp(now)
    found = [
        _spikes(mentions, settings, now_ts),
        _new_themes(themes, mentions, now_ts),
        _sentiment_drops(mentions, settings, now_ts),
    ]
    alerts = (
        pd.concat([f for f in found if not f.empty], ignore_index=True) if any(not f.empty for f in found) else _empty()
    )
    if alerts.empty:
        return _empty()
    alerts = _apply_cooldown(alerts, history, settings, now_ts)
    alerts["theme_label"] = [label_of(labels, t) for t in alerts["theme_id"]]
    alerts["created_at"] = now_ts
    alerts["message"] = [_message(a) for a in alerts.itertuples()]
    order = {"spike": 0, "sentiment_drop": 1, "new_theme": 2}
    alerts = alerts.assign(_k=alerts["kind"].map(order)).sort_values(
        ["_k", "p_value", "theme_id", "segment"], na_position="last"
    )
    return alerts[list(ALERT_COLUMNS)].reset_index(drop=True)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ALERT_COLUMNS})


def _with_segments(mentions: pd.DataFrame) -> pd.DataFrame:
    """Each mention once under "(all)" and once under its own segment (when it has one)."""
    seg = mentions["segment"] if "segment" in mentions else pd.Series(None, index=mentions.index)
    overall = mentions.assign(segment=ALL_SEGMENTS)
    own = mentions.assign(segment=seg.astype("string")).dropna(subset=["segment"])
    return pd.concat([overall, own], ignore_index=True)


def _spikes(mentions: pd.DataFrame, settings: AlertSettings, now: pd.Timestamp) -> pd.DataFrame:
    if mentions.empty:
        return pd.DataFrame()
    frame = _with_segments(mentions.drop_duplicates(["theme_id", "record_id"]))
    rows = []
    for window in SPIKE_WINDOWS:
        start = now - timedelta(days=window)
        base_start = start - timedelta(days=BASELINE_DAYS)
        cur = (
            frame.loc[(frame["created_at"] > start) & (frame["created_at"] <= now)]
            .groupby(["theme_id", "segment"])
            .size()
        )
        base = (
            frame.loc[(frame["created_at"] > base_start) & (frame["created_at"] <= start)]
            .groupby(["theme_id", "segment"])
            .size()
        )
        cur, base = cur.align(base, fill_value=0)
        p = one_sided_excess_p(
            cur.to_numpy(), base.to_numpy(), current_exposure=window, baseline_exposure=BASELINE_DAYS
        )
        expected = base.to_numpy() * window / BASELINE_DAYS
        hit = (cur.to_numpy() >= settings.min_count) & (p < settings.p_value) & (cur.to_numpy() > expected)
        for (theme_id, segment), obs, b, exp, pv in zip(
            cur.index[hit], cur.to_numpy()[hit], base.to_numpy()[hit], expected[hit], p[hit]
        ):
            rows.append(
                {
                    "kind": "spike",
                    "theme_id": int(theme_id),
                    "segment": str(segment),
                    "observed": float(obs),
                    "expected": float(exp),
                    "p_value": float(pv),
                    "window_days": window,
                    "_baseline": float(b),
                }
            )
    if not rows:
        return pd.DataFrame()
    spikes = pd.DataFrame(rows)
    chosen = pd.concat([_one_per_theme(group) for _, group in spikes.groupby("theme_id")], ignore_index=True)
    return chosen.drop(columns=["window_days", "_baseline"])


def _one_per_theme(spikes: pd.DataFrame) -> pd.DataFrame:
    """One spike, one alert.

    A theme spiking overall is reported once: under a segment when the spike is concentrated
    there (the segment holds at least :data:`SEGMENT_SHARE` of the window's mentions *and* that
    share is at least :data:`SEGMENT_LIFT` above its share of the baseline; a segment that is
    simply most of the customers does not name a spike), else under "(all)". Without an overall
    spike, each segment's own spike (hidden in a flat total) is kept, in its most significant window.
    """
    overall = spikes.loc[spikes["segment"] == ALL_SEGMENTS].sort_values(["p_value", "window_days"])
    if overall.empty:
        return spikes.sort_values(["p_value", "window_days"]).drop_duplicates("segment")
    best = overall.iloc[0]
    same_window = spikes.loc[(spikes["segment"] != ALL_SEGMENTS) & (spikes["window_days"] == best["window_days"])]
    share_now = same_window["observed"] / best["observed"]
    share_before = same_window["_baseline"] / best["_baseline"] if best["_baseline"] > 0 else 0.0
    concentrated = same_window.loc[(share_now >= SEGMENT_SHARE) & (share_now >= share_before + SEGMENT_LIFT)]
    if not concentrated.empty:
        return concentrated.sort_values("observed", ascending=False).head(1)
    return overall.head(1)


def _new_themes(themes: pd.DataFrame, mentions: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    if themes is None or themes.empty or "born_at" not in themes:
        return pd.DataFrame()
    born = pd.to_datetime(themes["born_at"])
    status = themes["status"].astype(str) if "status" in themes else pd.Series("active", index=themes.index)
    first_fit = born.min()  # the themes of the first fit are the baseline, not news
    fresh = themes.loc[
        (born > now - timedelta(days=RECENT_DAYS)) & (born <= now) & (born > first_fit) & (status != "retired")
    ]
    counts = mentions.groupby("theme_id")["record_id"].nunique() if not mentions.empty else pd.Series(dtype=int)
    rows = [
        {
            "kind": "new_theme",
            "theme_id": int(t),
            "segment": ALL_SEGMENTS,
            "observed": float(counts.get(int(t), 0)),
            "expected": 0.0,
            "p_value": np.nan,
        }
        for t in fresh["theme_id"]
    ]
    return pd.DataFrame(rows)


def _sentiment_drops(mentions: pd.DataFrame, settings: AlertSettings, now: pd.Timestamp) -> pd.DataFrame:
    if mentions.empty or mentions["sentiment"].isna().all():
        return pd.DataFrame()
    frame = _with_segments(mentions.dropna(subset=["sentiment"]))
    start = now - timedelta(days=RECENT_DAYS)
    frame["period"] = np.select(
        [
            (frame["created_at"] > start) & (frame["created_at"] <= now),
            (frame["created_at"] > start - timedelta(days=BASELINE_DAYS)) & (frame["created_at"] <= start),
        ],
        ["current", "baseline"],
        default="",
    )
    rows = []
    for (theme_id, segment), group in frame.loc[frame["period"] != ""].groupby(["theme_id", "segment"]):
        cur = group.loc[group["period"] == "current", "sentiment"].to_numpy(float)
        base = group.loc[group["period"] == "baseline", "sentiment"].to_numpy(float)
        if len(cur) < settings.min_count or len(base) < 2:
            continue
        drop = base.mean() - cur.mean()
        if drop < settings.sentiment_drop:
            continue
        with warnings.catch_warnings():  # near-constant groups warn; the NaN case is handled below
            warnings.simplefilter("ignore", RuntimeWarning)
            p = stats.ttest_ind(cur, base, equal_var=False, alternative="less").pvalue
        if np.isnan(p) and np.ptp(np.concatenate([cur, base])) > 0:
            continue
        p = 0.0 if np.isnan(p) else float(p)  # constant groups that differ: the drop is certain
        if p < settings.p_value:
            rows.append(
                {
                    "kind": "sentiment_drop",
                    "theme_id": int(theme_id),
                    "segment": str(segment),
                    "observed": float(cur.mean()),
                    "expected": float(base.mean()),
                    "p_value": p,
                }
            )
    if not rows:
        return pd.DataFrame()
    drops = pd.DataFrame(rows)
    # One drop per theme: the segment (or the whole) where it fell furthest; "(all)" wins ties.
    drops["_drop"] = drops["expected"] - drops["observed"]
    drops["_all"] = drops["segment"] != ALL_SEGMENTS
    drops = drops.sort_values(["theme_id", "_drop", "_all"], ascending=[True, False, True])
    return drops.drop_duplicates("theme_id").drop(columns=["_drop", "_all"]).reset_index(drop=True)


def _apply_cooldown(
    alerts: pd.DataFrame, history: pd.DataFrame | None, settings: AlertSettings, now: pd.Timestamp
) -> pd.DataFrame:
    """Drop alerts already raised recently (same kind, theme and segment)."""
    if history is None or history.empty:
        return alerts
    missing = [c for c in ("kind", "theme_id", "created_at") if c not in history]
    if missing:
        raise KeyError(f"alert history is missing column(s) {missing}; it has {list(history.columns)}")
    segment = history["segment"] if "segment" in history else pd.Series(ALL_SEGMENTS, index=history.index)
    hist = history.assign(
        theme_id=history["theme_id"].astype(int),
        segment=segment.fillna(ALL_SEGMENTS).astype(str),
        created_at=pd.to_datetime(history["created_at"]),
    )
    recent = hist.loc[
        (hist["created_at"] > now - timedelta(days=settings.cooldown_days)) | (hist["kind"] == "new_theme")
    ]
    seen = set(zip(recent["kind"], recent["theme_id"], recent["segment"]))
    # A spike reported under "(all)" one night and under its main segment the next is the same spike.
    seen_any = {(k, t) for k, t, s in seen if s == ALL_SEGMENTS}
    seen_seg = {(k, t) for k, t, _ in seen}

    def fresh(kind: str, theme_id: int, segment: str) -> bool:
        if (kind, theme_id, segment) in seen or (kind, theme_id) in seen_any:
            return False
        return not (segment == ALL_SEGMENTS and (kind, theme_id) in seen_seg)

    keep = [fresh(k, int(t), str(s)) for k, t, s in zip(alerts["kind"], alerts["theme_id"], alerts["segment"])]
    return alerts.loc[keep].reset_index(drop=True)


def _message(alert) -> str:
    """One line a CX manager can act on."""
    where = "" if alert.segment == ALL_SEGMENTS else f" in segment {alert.segment}"
    if alert.kind == "spike":
        return (
            f"Spike: '{alert.theme_label}'{where}: {alert.observed:.0f} mentions against "
            f"{alert.expected:.1f} expected (p = {alert.p_value:.1g})"
        )
    if alert.kind == "sentiment_drop":
        return (
            f"Sentiment drop: '{alert.theme_label}'{where}: mean {alert.observed:+.2f} in the last "
            f"{RECENT_DAYS} days against {alert.expected:+.2f} before (p = {alert.p_value:.1g})"
        )
    return f"New theme: '{alert.theme_label}' ({alert.observed:.0f} mentions so far)"
