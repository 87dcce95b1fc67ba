"""Unvoiced high-impact themes: few mentions, large effect on the score or on churn.

Method
------
Counts rank themes by how often they are raised; what matters is what they do. A theme is
"unvoiced, high impact" when its volume is at or below the median theme's (few mentions) and
either

- the score gap is large: NPS among customers who mention it minus NPS among those who do not
  (``score_with - score_without`` from the key drivers; computed here from NPS answers when the
  drivers table lacks it) is at most :data:`MIN_GAP` points with p < :data:`ALPHA`, or
- the churn uplift (churn rate of customers raising it / the rest) is at least :data:`MIN_UPLIFT`.

The table is ordered by the size of the effect per mention, so the top row is the quiet theme
that hurts most. The score gap is shrunk towards zero by ``n / (n + SHRINK_ANSWERS)`` (n = scored
answers among the theme's mentioners) before ordering: the posterior mean of the gap under a
normal prior, so ten detractors in a fragment of a theme do not outrank the thirty behind a real
issue just because both groups score -100.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from voc.impact._frames import label_of, score_band, theme_labels, theme_mentions
from voc.impact.priorities import churn_and_revenue
from voc.impact.signals.base import SignalContext, SignalResult, example_records, register_signal

#: NPS points (with - without) at or below which a theme's effect counts as large.
MIN_GAP: Final = -20.0
#: Significance needed for the score gap.
ALPHA: Final = 0.05
#: Churn uplift at or above which a theme's effect counts as large.
MIN_UPLIFT: Final = 2.0
#: Prior strength, in answers, of the shrinkage of score gaps: per-answer NPS variance (~0.8 x 100^2)
#: over a prior spread of about 30 points between themes, squared.
SHRINK_ANSWERS: Final = 10.0
#: Columns of a theme's own score gap, whichever way it was computed.
GAP_COLUMNS: Final = ("score_with", "score_without", "p_value", "n_scored")


def _nps(bands: pd.Series) -> float:
    """NPS (-100..100) of a Series of "low"/"mid"/"high" bands; NaN when empty."""
    if len(bands) == 0:
        return np.nan
    return 100.0 * (float((bands == "high").mean()) - float((bands == "low").mean()))


def own_score_gaps(mentions: pd.DataFrame, records_bands: pd.DataFrame) -> pd.DataFrame:
    """NPS with/without per theme from NPS answers, with a Fisher test on the detractor share.

    ``records_bands`` has ``record_id`` and ``band`` for NPS respondents only.
    Returns a DataFrame indexed by theme_id with ``score_with``, ``score_without``, ``p_value``.
    """
    rows = {}
    all_ids = records_bands.set_index("record_id")["band"]
    for theme_id, ids in mentions.groupby("theme_id")["record_id"].unique().items():
        inside = all_ids.index.isin(ids)
        with_b, without_b = all_ids[inside], all_ids[~inside]
        table = [
            [int((with_b == "low").sum()), int((with_b != "low").sum())],
            [int((without_b == "low").sum()), int((without_b != "low").sum())],
        ]
        p = stats.fisher_exact(table)[1] if len(with_b) and len(without_b) else np.nan
        rows[theme_id] = {
            "score_with": _nps(with_b),
            "score_without": _nps(without_b),
            "p_value": p,
            "n_scored": len(with_b),
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(GAP_COLUMNS))


@register_signal("unvoiced_high_impact")
def unvoiced_high_impact(ctx: SignalContext) -> SignalResult:
    """Table columns: theme_id, theme_label, n_records, volume_rank, score_with, score_without,
    score_gap, p_value, nps_impact, churn_uplift, reason."""
    mentions = theme_mentions(ctx.records, ctx.record_themes)
    result = SignalResult(
        name="unvoiced_high_impact",
        title="Quiet themes with a large effect",
        explanation=(
            "Themes raised by few customers (at or below the median theme's volume) whose mentioners score "
            f"far lower (NPS gap of {MIN_GAP:.0f} points or worse, p < {ALPHA}) or churn far more "
            f"({MIN_UPLIFT:.0f}x the rest or more) than everybody else. Counting complaints would rank them low."
        ),
    )
    if mentions.empty:
        return result
    volume = mentions.groupby("theme_id")["record_id"].nunique().rename("n_records")
    table = volume.to_frame()
    table["volume_rank"] = volume.rank(ascending=False, method="min").astype(int)
    table = table.join(_score_gaps(ctx, mentions))
    table = table.join(churn_and_revenue(ctx.records, mentions, min_volume=ctx.settings.min_volume)[["churn_uplift"]])
    table["score_gap"] = table["score_with"] - table["score_without"]
    quiet = table["n_records"] <= table["n_records"].median()
    big_gap = (table["score_gap"] <= MIN_GAP) & (table["p_value"] < ALPHA)
    big_churn = table["churn_uplift"] >= MIN_UPLIFT
    hits = table.loc[quiet & (big_gap | big_churn)].copy()
    hits["reason"] = [
        ", ".join(
            filter(
                None,
                [
                    f"NPS {r.score_with:.0f} among those who raise it vs {r.score_without:.0f} for the rest"
                    if g
                    else "",
                    f"churn {r.churn_uplift:.1f}x the rest" if c else "",
                ],
            )
        )
        + f"; only {int(r.n_records)} records (volume rank {int(r.volume_rank)})"
        for r, g, c in zip(hits.itertuples(), big_gap[hits.index], big_churn[hits.index])
    ]
    hits = hits.reset_index().rename(columns={"index": "theme_id"})
    hits.insert(1, "theme_label", [label_of(theme_labels(ctx.themes), t) for t in hits["theme_id"]])
    answers = hits["n_scored"].fillna(hits["n_records"]).astype(float)
    hits["_effect"] = hits["score_gap"].fillna(0) * answers / (answers + SHRINK_ANSWERS) - 10 * hits[
        "churn_uplift"
    ].fillna(1)
    hits = hits.sort_values(["_effect", "theme_id"]).drop(columns="_effect")
    cols = [
        "theme_id",
        "theme_label",
        "n_records",
        "volume_rank",
        "score_with",
        "score_without",
        "score_gap",
        "p_value",
        "nps_impact",
        "churn_uplift",
        "reason",
    ]
    result.table = hits.reindex(columns=cols).reset_index(drop=True)
    result.summary = {
        "n_themes_checked": int(len(table)),
        "n_found": int(len(hits)),
        "themes": [str(x) for x in result.table["theme_label"]],
    }
    ids = mentions.loc[mentions["theme_id"].isin(hits["theme_id"]), "record_id"]
    result.examples = example_records(ctx.records, ids)
    return result


def _score_gaps(ctx: SignalContext, mentions: pd.DataFrame) -> pd.DataFrame:
    """score_with, score_without, p_value, nps_impact per theme, from drivers where it has them."""
    drivers = ctx.drivers
    needed = {"theme_id", "score_with", "score_without", "p_value"}
    if drivers is not None and not drivers.empty and needed <= set(drivers.columns):
        cols = [c for c in (*GAP_COLUMNS, "nps_impact") if c in drivers]
        out = (
            drivers.assign(theme_id=drivers["theme_id"].astype(int))
            .drop_duplicates("theme_id")
            .set_index("theme_id")[cols]
        )
        return out.reindex(columns=[*GAP_COLUMNS, "nps_impact"])
    nps = (
        mentions.loc[mentions["score_type"].astype("string").str.lower() == "nps"]
        if "score_type" in mentions
        else mentions.iloc[:0]
    )
    records = ctx.records
    is_nps = (
        records["score_type"].astype("string").str.lower().eq("nps").fillna(False)
        if "score_type" in records
        else pd.Series(False, index=records.index)
    )
    bands = (
        records.loc[is_nps, ["record_id"]]
        .assign(band=score_band(records.loc[is_nps]).to_numpy())
        .dropna(subset=["band"])
    )
    out = own_score_gaps(nps, bands) if len(bands) else pd.DataFrame(columns=list(GAP_COLUMNS))
    out["nps_impact"] = np.nan
    return out
