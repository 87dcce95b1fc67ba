"""Theme volumes over time: how many records raise each theme per day, week or month."""

from __future__ import annotations

import pandas as pd

from voc.metrics.periods import period_start
from voc.schemas import UNASSIGNED_THEME

VOLUME_COLUMNS: tuple[str, ...] = ("theme_id", "period_start", "n_records", "share", "mean_sentiment")


def theme_volumes(record_themes: pd.DataFrame, records: pd.DataFrame, *, period: str = "week") -> pd.DataFrame:
    """Records mentioning each theme per period.

    Parameters
    ----------
    record_themes : DataFrame
        Long table (:data:`voc.schemas.RECORD_THEME_COLUMNS`); ``record_id`` and ``theme_id`` are
        read, and ``sentiment`` when present. The unassigned theme (-1) is left out.
    records : DataFrame
        Canonical records with ``record_id``, ``created_at`` and ``text``.
    period : {"day", "week", "month", "quarter"}

    Returns
    -------
    DataFrame with columns :data:`VOLUME_COLUMNS`: ``theme_id`` (int), ``period_start`` (datetime),
    ``n_records`` (records of the period mentioning the theme), ``share`` (of the period's records
    with text, 0..1) and ``mean_sentiment`` (mean mention sentiment, NaN without it). Periods
    where a theme is absent appear with ``n_records`` 0, so trends do not skip quiet weeks.
    """
    for name, frame, cols in (
        ("record_themes", record_themes, ["record_id", "theme_id"]),
        ("records", records, ["record_id", "created_at"]),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise KeyError(f"{name} is missing column(s) {missing}; it has {list(frame.columns)}")
    dated = records[["record_id", "created_at"]].assign(period_start=period_start(records["created_at"], period))
    has_text = records["text"].fillna("").astype(str).str.strip().ne("") if "text" in records else True
    totals = dated[has_text].groupby("period_start").size().rename("n_period")
    mentions = record_themes[record_themes["theme_id"] != UNASSIGNED_THEME]
    if "sentiment" not in mentions:
        mentions = mentions.assign(sentiment=float("nan"))
    mentions = mentions.groupby(["record_id", "theme_id"], as_index=False)["sentiment"].mean()
    joined = mentions.merge(dated[["record_id", "period_start"]], on="record_id", how="inner")
    counts = joined.groupby(["theme_id", "period_start"]).agg(
        n_records=("record_id", "nunique"), mean_sentiment=("sentiment", "mean")
    )
    themes = sorted(mentions["theme_id"].astype(int).unique())
    grid = pd.MultiIndex.from_product([themes, totals.index], names=["theme_id", "period_start"])
    out = counts.reindex(grid).reset_index()
    out["n_records"] = out["n_records"].fillna(0).astype("int64")
    out = out.merge(totals.reset_index(), on="period_start", how="left")
    out["share"] = out["n_records"] / out["n_period"].where(out["n_period"] > 0)
    return (
        out.astype({"theme_id": "int64"})[list(VOLUME_COLUMNS)]
        .sort_values(["theme_id", "period_start"])
        .reset_index(drop=True)
    )
