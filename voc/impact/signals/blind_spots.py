"""Survey blind spots: themes customers raise in complaints, tickets or reviews but not in surveys.

Method
------
Records are split by ``source_type`` into survey comments and other feedback (complaint, ticket,
review, other). For each theme, its share of the records in each group is compared with Fisher's
exact test. A theme is a blind spot of the survey when it holds at least :data:`MIN_SHARE` of the
other feedback, at least ``min_volume`` records there, and its survey share is at most
:data:`MAX_RATIO` times that, with p < :data:`ALPHA`. The reverse (``only_in_surveys``) uses the
same rule with the groups swapped: what the survey asks about but nobody raises unprompted.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from voc.impact._frames import has_text, label_of, theme_labels, theme_mentions
from voc.impact.signals.base import SignalContext, SignalResult, example_records, register_signal

MIN_SHARE: Final = 0.02
MAX_RATIO: Final = 0.25
ALPHA: Final = 0.01
SURVEY: Final = "survey"


def compare_groups(n_a: np.ndarray, total_a: int, n_b: np.ndarray, total_b: int) -> np.ndarray:
    """Two-sided Fisher exact p-values for per-theme counts in two groups, shape (n_themes,)."""
    return np.array([stats.fisher_exact([[a, total_a - a], [b, total_b - b]])[1] for a, b in zip(n_a, n_b)])


@register_signal("survey_blind_spots")
def survey_blind_spots(ctx: SignalContext) -> SignalResult:
    """Table columns: theme_id, theme_label, direction (missing_from_surveys | only_in_surveys),
    n_survey, share_survey, n_other, share_other, ratio (survey share / other share), p_value,
    other_sources (counts by source_type)."""
    records = ctx.records
    result = SignalResult(
        name="survey_blind_spots",
        title="Survey blind spots",
        explanation=(
            "Themes frequent in complaints, tickets or reviews but (nearly) absent from survey comments: the "
            f"survey does not reach them. Shares of commented records are compared per theme (Fisher's exact "
            f"test, p < {ALPHA}); flagged when the theme holds at least {MIN_SHARE:.0%} of one group and at most "
            f"{MAX_RATIO:.0%} of that share in the other. The reverse shows what only surveys bring up."
        ),
    )
    source = records.get("source_type", pd.Series("other", index=records.index)).fillna("other").astype(str)
    commented = has_text(records)
    is_survey = source == SURVEY
    total_s, total_o = int((commented & is_survey).sum()), int((commented & ~is_survey).sum())
    result.summary = {
        "n_survey_comments": total_s,
        "n_other_comments": total_o,
        "other_by_source_type": source[commented & ~is_survey].value_counts().to_dict(),
    }
    mentions = theme_mentions(records, ctx.record_themes)
    if total_s == 0 or total_o == 0 or mentions.empty:
        result.summary["note"] = "needs both survey comments and other feedback"
        return result
    mentions["_survey"] = mentions["source_type"].fillna("other").astype(str) == SURVEY
    counts = mentions.groupby(["theme_id", "_survey"])["record_id"].nunique().unstack(fill_value=0)
    counts = counts.reindex(columns=[True, False], fill_value=0)
    table = pd.DataFrame({"n_survey": counts[True], "n_other": counts[False]})
    table["share_survey"] = table["n_survey"] / total_s
    table["share_other"] = table["n_other"] / total_o
    table["ratio"] = table["share_survey"] / table["share_other"].replace(0, np.nan)
    table["p_value"] = compare_groups(table["n_survey"].to_numpy(), total_s, table["n_other"].to_numpy(), total_o)
    min_n = ctx.settings.min_volume
    missing = (
        (table["share_other"] >= MIN_SHARE)
        & (table["n_other"] >= min_n)
        & (table["share_survey"] <= MAX_RATIO * table["share_other"])
    )
    only = (
        (table["share_survey"] >= MIN_SHARE)
        & (table["n_survey"] >= min_n)
        & (table["share_other"] <= MAX_RATIO * table["share_survey"])
    )
    direction = np.full(len(table), None, dtype=object)
    direction[np.asarray(only, dtype=bool)] = "only_in_surveys"
    direction[np.asarray(missing, dtype=bool)] = "missing_from_surveys"
    table["direction"] = direction
    hits = table.loc[table["direction"].notna() & (table["p_value"] < ALPHA)].reset_index()
    labels = theme_labels(ctx.themes)
    hits.insert(1, "theme_label", [label_of(labels, t) for t in hits["theme_id"]])
    by_source = mentions.loc[~mentions["_survey"]].groupby("theme_id")["source_type"].value_counts()
    hits["other_sources"] = [
        {str(k): int(v) for k, v in by_source.loc[t].items()} if t in by_source.index.get_level_values(0) else {}
        for t in hits["theme_id"]
    ]
    hits = hits.sort_values(["direction", "p_value", "theme_id"])
    result.table = hits[
        [
            "theme_id",
            "theme_label",
            "direction",
            "n_survey",
            "share_survey",
            "n_other",
            "share_other",
            "ratio",
            "p_value",
            "other_sources",
        ]
    ].reset_index(drop=True)
    result.summary["missing_from_surveys"] = [
        str(x) for x in result.table.loc[result.table["direction"] == "missing_from_surveys", "theme_label"]
    ]
    result.summary["only_in_surveys"] = [
        str(x) for x in result.table.loc[result.table["direction"] == "only_in_surveys", "theme_label"]
    ]
    ids = mentions.loc[
        mentions["theme_id"].isin(hits.loc[hits["direction"] == "missing_from_surveys", "theme_id"])
        & ~mentions["_survey"],
        "record_id",
    ]
    result.examples = example_records(records, ids)
    return result
