"""Emerging: newly born themes and a growing pool of feedback no theme explains.

Method
------
- New themes: status ``emerging``, or born within the last :data:`NEW_DAYS` days (at least the
  current period; two weeks so a theme born just before this week still reads as new), not
  retired, and first mentioned within that horizon too; listed with their mentions in the current
  and baseline periods. The first mention matters on a first night (or after a refit): every
  theme is born then, but one that customers have raised for months is not new.
- Unassigned pool: the share of commented records with no real theme, in the current period
  against the baseline, compared with Fisher's exact test. A growing pool (p < :data:`ALPHA`)
  means customers are raising something the theme model does not know yet.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from voc.impact._frames import has_text, label_of, theme_labels, theme_mentions
from voc.impact.signals.base import SignalContext, SignalResult, example_records, register_signal
from voc.impact.trend import Windows
from voc.schemas import UNASSIGNED_THEME

ALPHA: Final = 0.05
#: A theme born within this many days (or the current period, when longer) counts as new.
NEW_DAYS: Final = 14
_COLUMNS: Final = [
    "kind",
    "theme_id",
    "theme_label",
    "born_at",
    "n_current",
    "n_baseline",
    "share_current",
    "share_baseline",
    "p_value",
    "mean_sentiment",
]


def unassigned_mask(records: pd.DataFrame, record_themes: pd.DataFrame) -> pd.Series:
    """True for commented records without any real theme (shape (n_records,))."""
    themed = set(record_themes.loc[record_themes["theme_id"].astype(int) != UNASSIGNED_THEME, "record_id"])
    return has_text(records) & ~records["record_id"].isin(themed)


def _new_themes(ctx: SignalContext, windows: Windows) -> pd.DataFrame:
    themes = ctx.themes
    if themes is None or themes.empty:
        return pd.DataFrame(columns=_COLUMNS)
    born = pd.to_datetime(themes["born_at"]) if "born_at" in themes else pd.Series(pd.NaT, index=themes.index)
    status = themes["status"].astype(str) if "status" in themes else pd.Series("active", index=themes.index)
    horizon = pd.Timestamp(windows.now) - pd.Timedelta(days=max(NEW_DAYS, windows.current_days))
    mentions = theme_mentions(ctx.records, ctx.record_themes)
    first_seen = themes["theme_id"].astype(int).map(pd.to_datetime(mentions.groupby("theme_id")["created_at"].min()))
    recent = (born > horizon) & (born <= pd.Timestamp(windows.now)) & (first_seen.isna() | (first_seen > horizon))
    fresh = (status == "emerging") | (recent & (status != "retired"))
    picked = themes.loc[fresh]
    mentions["period"] = windows.label(mentions["created_at"]).to_numpy()
    counts = mentions.groupby(["theme_id", "period"])["record_id"].nunique().unstack(fill_value=0)
    counts = counts.reindex(columns=["current", "baseline"], fill_value=0)
    sentiment = mentions.groupby("theme_id")["sentiment"].mean()
    rows = []
    for theme in picked.itertuples():
        t = int(theme.theme_id)
        rows.append(
            {
                "kind": "new_theme",
                "theme_id": t,
                "theme_label": str(theme.label),
                "born_at": getattr(theme, "born_at", pd.NaT),
                "n_current": int(counts["current"].get(t, 0)),
                "n_baseline": int(counts["baseline"].get(t, 0)),
                "share_current": np.nan,
                "share_baseline": np.nan,
                "p_value": np.nan,
                "mean_sentiment": sentiment.get(t, np.nan),
            }
        )
    return pd.DataFrame(rows, columns=_COLUMNS)


@register_signal("emerging")
def emerging(ctx: SignalContext) -> SignalResult:
    """Table columns: kind (new_theme | unassigned_pool), theme_id, theme_label, born_at, n_current,
    n_baseline, share_current, share_baseline, p_value, mean_sentiment."""
    windows = Windows(ctx.now, ctx.settings.current_days, ctx.settings.baseline_days)
    records = ctx.records
    table = _new_themes(ctx, windows)
    period = windows.label(records["created_at"])
    commented = has_text(records)
    pool = unassigned_mask(records, ctx.record_themes)
    n = {p: int((commented & (period == p)).sum()) for p in ("current", "baseline")}
    k = {p: int((pool & (period == p)).sum()) for p in ("current", "baseline")}
    share = {p: k[p] / n[p] if n[p] else None for p in n}
    p_value = (
        stats.fisher_exact(
            [[k["current"], n["current"] - k["current"]], [k["baseline"], n["baseline"] - k["baseline"]]],
            alternative="greater",
        )[1]
        if n["current"] and n["baseline"]
        else np.nan
    )
    growing = bool(p_value < ALPHA and k["current"] >= ctx.settings.min_volume)
    if growing:
        pool_row = pd.DataFrame(
            [
                {
                    "kind": "unassigned_pool",
                    "theme_id": UNASSIGNED_THEME,
                    "theme_label": "(no theme yet)",
                    "born_at": pd.NaT,
                    "n_current": k["current"],
                    "n_baseline": k["baseline"],
                    "share_current": share["current"],
                    "share_baseline": share["baseline"],
                    "p_value": p_value,
                    "mean_sentiment": np.nan,
                }
            ]
        )
        table = pool_row if table.empty else pd.concat([table, pool_row], ignore_index=True)
    labels = theme_labels(ctx.themes)
    table["theme_label"] = [
        label_of(labels, t) if t != UNASSIGNED_THEME else "(no theme yet)" for t in table["theme_id"]
    ]
    new_ids = set(table.loc[table["kind"] == "new_theme", "theme_id"])
    example_ids = set(ctx.record_themes.loc[ctx.record_themes["theme_id"].isin(new_ids), "record_id"])
    if growing:
        example_ids |= set(records.loc[pool & (period == "current"), "record_id"])
    return SignalResult(
        name="emerging",
        title="Emerging themes",
        explanation=(
            f"Themes born in the last {max(NEW_DAYS, windows.current_days)} days (or marked emerging), "
            "and the share of "
            "commented records no theme explains, this period against the baseline (Fisher's exact test, "
            f"p < {ALPHA}): a growing unexplained pool is a topic the model does not know yet."
        ),
        table=table.reset_index(drop=True),
        summary={
            "n_new_themes": len(new_ids),
            "new_themes": [label_of(labels, t) for t in sorted(new_ids)],
            "unassigned_share_current": share["current"],
            "unassigned_share_baseline": share["baseline"],
            "unassigned_p_value": None if np.isnan(p_value) else float(p_value),
            "unassigned_growing": growing,
        },
        examples=example_records(records, example_ids),
    )
