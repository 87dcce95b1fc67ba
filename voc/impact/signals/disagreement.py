"""Score and words that disagree: polite detractors and at-risk promoters, per theme.

Method
------
- Polite detractor: a low score (NPS 0-6, CSAT/stars 1-2, CES 1-3) with positive words: the
  record's sentiment above +0.15 (or, without a record sentiment, the mean of its mentions).
  They are easy to miss because text analytics reads them as happy.
- At-risk promoter: a high score (NPS 9-10, CSAT/stars 4-5, CES 6-7) with at least one negative
  mention (sentiment below -0.15) inside the comment; counted for the theme of that mention, as
  the complaint a loyal customer still carries.
Per theme the table gives both counts and their share among scored records mentioning it.
"""

from __future__ import annotations

import pandas as pd

from voc.impact._frames import NEGATIVE_BELOW, POSITIVE_ABOVE, label_of, score_band, theme_labels, theme_mentions
from voc.impact.signals.base import SignalContext, SignalResult, example_records, register_signal, shares_by


def _record_sentiment(ctx: SignalContext) -> pd.Series:
    """Record sentiment aligned with records; falls back to the mean of its mentions."""
    records = ctx.records
    fallback = (
        ctx.record_themes.groupby("record_id")["sentiment"].mean()
        if "sentiment" in ctx.record_themes
        else pd.Series(dtype=float)
    )
    mapped = records["record_id"].map(fallback)
    if "sentiment" not in records:
        return mapped
    return pd.to_numeric(records["sentiment"], errors="coerce").fillna(mapped)


@register_signal("score_text_disagreement")
def score_text_disagreement(ctx: SignalContext) -> SignalResult:
    """Table columns: theme_id, theme_label, n_scored, n_polite_detractors, polite_detractor_share,
    n_at_risk_promoters, at_risk_promoter_share (shares among scored records mentioning the theme)."""
    records = ctx.records
    band = score_band(records)
    sentiment = _record_sentiment(ctx)
    polite = (band == "low") & (sentiment > POSITIVE_ABOVE)
    mentions = theme_mentions(records, ctx.record_themes)
    scored = mentions.loc[mentions["band"].notna()]
    polite_ids = set(records.loc[polite, "record_id"])
    scored = scored.assign(
        _polite=scored["record_id"].isin(polite_ids),
        _risk=(scored["band"] == "high") & (scored["sentiment"] < NEGATIVE_BELOW),
    )
    labels = theme_labels(ctx.themes)
    grouped = scored.groupby("theme_id")
    table = (
        pd.DataFrame(
            {
                "n_scored": grouped["record_id"].nunique(),
                "n_polite_detractors": scored.loc[scored["_polite"]].groupby("theme_id")["record_id"].nunique(),
                "n_at_risk_promoters": scored.loc[scored["_risk"]].groupby("theme_id")["record_id"].nunique(),
            }
        )
        .fillna(0)
        .astype(int)
    )
    table = table.loc[(table["n_polite_detractors"] + table["n_at_risk_promoters"]) > 0].reset_index()
    table.insert(1, "theme_label", [label_of(labels, t) for t in table["theme_id"]])
    table["polite_detractor_share"] = table["n_polite_detractors"] / table["n_scored"]
    table["at_risk_promoter_share"] = table["n_at_risk_promoters"] / table["n_scored"]
    table = table.sort_values(
        ["n_at_risk_promoters", "n_polite_detractors", "theme_id"], ascending=[False, False, True]
    )
    risk_ids = set(scored.loc[scored["_risk"], "record_id"])
    risk_mask = records["record_id"].isin(risk_ids)
    scored_mask = band.notna()
    return SignalResult(
        name="score_text_disagreement",
        title="Score and words that disagree",
        explanation=(
            "Polite detractors gave a low score but wrote kindly (sentiment above +0.15); at-risk promoters "
            "gave a high score but complained about something (a mention with sentiment below -0.15). Both "
            "are counted per theme mentioned, with their share among scored records mentioning it."
        ),
        table=table[
            [
                "theme_id",
                "theme_label",
                "n_scored",
                "n_polite_detractors",
                "polite_detractor_share",
                "n_at_risk_promoters",
                "at_risk_promoter_share",
            ]
        ].reset_index(drop=True),
        summary={
            "n_scored": int(scored_mask.sum()),
            "n_polite_detractors": int(polite.sum()),
            "n_at_risk_promoters": int(risk_mask.sum()),
            "polite_detractors_by_segment": shares_by(records.loc[scored_mask], polite[scored_mask], "segment"),
            "at_risk_promoters_by_segment": shares_by(records.loc[scored_mask], risk_mask[scored_mask], "segment"),
        },
        examples=pd.concat(
            [
                example_records(records, polite_ids, n=3).assign(kind="polite_detractor"),
                example_records(records, risk_ids, n=3).assign(kind="at_risk_promoter"),
            ],
            ignore_index=True,
        ),
    )
