"""The priority list: which themes to fix first, each with the numbers and a plain reason.

Components per theme (all computed over the records passed in, which the caller limits to the
reporting period; the trend uses the windows before ``now``):

- **volume**: records and unique customers mentioning it (a record without a customer id counts
  as its own customer); ``share`` = records mentioning it / records with a non-empty comment.
  The volume *component* of the score counts the customers with a negative mention (all customers
  when no sentiment is known): a topic praised by thousands is not a problem to fix, while one
  complained about by hundreds is, even if it is praised as often.
- **trend**: see :mod:`voc.impact.trend` (exact Poisson-rate test, minimum-volume guard, the
  current week, month or quarter against like periods, chosen from the history's volume).
- **negativity**: share of its rated mentions with sentiment below -0.15 (``n_negative`` of
  ``n_negative + n_neutral + n_positive``, the split the report draws); ``mean_sentiment``. Its score
  component shrinks the share towards the all-theme share by 20 pseudo-mentions, so a theme with
  three negative mentions out of three does not outrank one with 300 out of 400 by chance.
- **impact**: taken from the key drivers table (:func:`voc.metrics.key_drivers`) of the night's
  impact metric, ``impact_metric`` (nps, csat, ces, stars, or sentiment when no record has a
  score): what the theme costs on that metric's own scale (negative = cost). ``nps_impact`` keeps
  its meaning, NPS points, and is NaN on a night without NPS answers. The score *component* is
  the theme's complaint cost (:func:`complaint_cost`): the net-score points the theme's negative
  mentions cost, over every score type, so that praise of a topic does not hide the complaints
  about it; without scored complaints it falls back to ``-impact``.
- **churn_uplift**: churn rate among customers who raised it / churn rate among customers with
  known churn who did not. NaN without churn data or with fewer than ``min_volume`` such customers.
- **revenue_at_risk**: ``sum(value of customers who raised it) * max(0, churn_with - churn_without)``:
  the yearly revenue expected to be lost *beyond* the baseline churn, i.e. customer value times
  the excess churn probability (``churn_without * (uplift - 1)``). NaN without value or churn data.
- **cost_to_serve**: records from contact sources (ticket, complaint) x ``cost_per_contact``.

Priority score: each component is rank-normalised over the themes (the share of themes this one
beats or ties on it; 0 when the component is zero, negative or unknown, so a theme that is not
growing gets nothing for trend), then ``score = sum(w_k * r_k) / sum(w_k)`` with the weights in
``settings.weights``, giving a value in [0, 1]. Ranks are robust to the very different scales of
euros, customers and NPS points; the price is that magnitude beyond the order is ignored, which
the ``why`` text restores for the reader. Ties are broken by ``theme_id`` so the order is stable.
The trend component is ``-log10(p)`` of a significant rise (p < 0.05), 0 otherwise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import numpy as np
import pandas as pd

from voc.config import ImpactSettings
from voc.impact._frames import (
    CONTACT_SOURCES,
    NEGATIVE_BELOW,
    POSITIVE_ABOVE,
    customers_table,
    has_customer_ids,
    has_text,
    label_of,
    ordinal,
    score_band,
    theme_labels,
    theme_mentions,
    with_record_columns,
)
from voc.impact.trend import Windows, theme_trends, trend_windows
from voc.metrics.drivers import IMPACT_UNITS
from voc.schemas import PRIORITY_COLUMNS

#: Pseudo-mentions at the overall negativity added to every theme before ranking negativity.
NEGATIVITY_PRIOR: Final = 20
#: A rise must be at least this significant to count as growth in the score and the ``why``.
TREND_ALPHA: Final = 0.05


def rank_normalise(values: pd.Series) -> pd.Series:
    """Share of items each value beats or ties (average ranks), 0 for values <= 0 or NaN.

    Shape (n,) -> (n,), values in [0, 1]; the largest positive value gets 1.
    """
    x = pd.to_numeric(values, errors="coerce").astype(float)
    positive = x > 0
    if not positive.any():
        return pd.Series(0.0, index=values.index)
    ranks = x.where(positive, 0.0).rank(method="average")
    return (ranks / len(x)).where(positive, 0.0)


def rank_priorities(
    records: pd.DataFrame,
    record_themes: pd.DataFrame,
    themes: pd.DataFrame,
    drivers: pd.DataFrame,
    *,
    settings: ImpactSettings,
    now: datetime,
) -> pd.DataFrame:
    """Rank the themes by business impact.

    Parameters
    ----------
    records : DataFrame
        :data:`voc.schemas.RECORD_COLUMNS` (``customer_id``, ``churned``, ``customer_value``,
        ``source_type`` and ``created_at`` are used).
    record_themes : DataFrame
        :data:`voc.schemas.RECORD_THEME_COLUMNS`; unassigned mentions (theme -1) are ignored.
    themes : DataFrame
        :data:`voc.schemas.THEME_COLUMNS` (``theme_id``, ``label``); may be empty.
    drivers : DataFrame
        Key drivers with ``theme_id`` and ``nps_impact`` (:data:`voc.metrics.DRIVER_COLUMNS`), one
        block per ``metric``, the impact metric's first (:func:`voc.metrics.key_drivers`); a table
        without ``metric`` is read as NPS. May be empty.
    settings : ImpactSettings
        Weights, periods, minimum volume and cost per contact.
    now : datetime
        End of the current period (naive UTC).

    Returns
    -------
    DataFrame with exactly :data:`voc.schemas.PRIORITY_COLUMNS`, one row per theme mentioned at
    least once, ``rank`` 1..n (1 = fix first).
    """
    records = with_record_columns(records)
    mentions = theme_mentions(records, record_themes)
    if mentions.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PRIORITY_COLUMNS})
    table = _volume_and_tone(mentions, n_commented=int(has_text(records).sum()))
    windows = trend_windows(records.loc[has_text(records), "created_at"], now=now, settings=settings)
    table = table.join(theme_trends(mentions, windows, min_volume=settings.min_volume))
    # themes not seen in either window: no trend, not new
    table = table.fillna({"n_current": 0, "n_baseline": 0, "is_new": False}).astype({"is_new": bool})
    table["impact_metric"], table["impact"] = _impact_columns(drivers, table.index)
    table["nps_impact"] = _driver_column(_metric_rows(drivers, "nps"), table.index, "nps_impact")
    table["_complaint_cost"] = complaint_cost(records, mentions).reindex(table.index)
    table = table.join(churn_and_revenue(records, mentions, min_volume=settings.min_volume))
    table["cost_to_serve"] = table["n_contacts"] * settings.cost_per_contact
    table["priority_score"] = _score(table, settings)
    table = table.reset_index()
    table["_order_score"] = table["priority_score"].round(12)
    table = table.sort_values(["_order_score", "theme_id"], ascending=[False, True], kind="mergesort")
    table["rank"] = np.arange(1, len(table) + 1)
    labels = theme_labels(themes)
    table["theme_label"] = [label_of(labels, t) for t in table["theme_id"]]
    who = "customer" if has_customer_ids(records) else "record"
    table["why"] = [_why(row, windows, settings.currency, who=who) for row in table.itertuples()]
    table["n_records"] = table["n_records"].astype(int)
    table["n_customers"] = table["n_customers"].astype(int)
    table[["n_negative", "n_neutral", "n_positive"]] = table[["n_negative", "n_neutral", "n_positive"]].astype(int)
    return table[list(PRIORITY_COLUMNS)].reset_index(drop=True)


def _volume_and_tone(mentions: pd.DataFrame, *, n_commented: int) -> pd.DataFrame:
    """Per theme: records, customers, share, contacts, negativity, mean sentiment."""
    is_contact = mentions.get("source_type", pd.Series("", index=mentions.index)).isin(CONTACT_SOURCES)
    frame = mentions.assign(
        _neg=(mentions["sentiment"] < NEGATIVE_BELOW).astype(float).where(mentions["sentiment"].notna()),
        _contact=np.where(is_contact, mentions["record_id"], None),
    )
    grouped = frame.groupby("theme_id", sort=True)
    table = pd.DataFrame(
        {
            "n_records": grouped["record_id"].nunique(),
            "n_customers": grouped["customer_key"].nunique(),
            "n_contacts": grouped["_contact"].nunique(),
            "_neg_customers": frame.loc[frame["_neg"] == 1].groupby("theme_id")["customer_key"].nunique(),
            "negativity": grouped["_neg"].mean(),
            "mean_sentiment": grouped["sentiment"].mean(),
            "_n_rated": grouped["sentiment"].count(),
            "n_negative": grouped["_neg"].sum().astype(int),
            "n_positive": frame.assign(_pos=frame["sentiment"] > POSITIVE_ABOVE).groupby("theme_id")["_pos"].sum(),
        }
    )
    table["n_neutral"] = table["_n_rated"] - table["n_negative"] - table["n_positive"]
    table["_neg_customers"] = table["_neg_customers"].fillna(0)
    table["share"] = table["n_records"] / max(n_commented, 1)
    return table


def complaint_cost(records: pd.DataFrame, mentions: pd.DataFrame) -> pd.Series:
    """Net-score points the theme's *negative* mentions cost, per theme (positive = cost).

    Every scored record gets a net value: +100 in the high band, -100 in the low band, 0 between
    (NPS's promoter/detractor logic applied to every scale via
    :data:`voc.impact._frames.SCORE_BANDS`). The cost of a theme is the mean value without the
    records that complain about it minus the mean over all records: how much the overall net score
    would rise if those complainers scored like everyone else. Praise of the same topic does not
    offset it, which matters for topic-like themes ("the app") that collect both.
    Returns a Series indexed by theme_id (themes without negative scored mentions absent).
    """
    band = score_band(records)
    scored = band.notna().to_numpy()
    if not scored.any():
        return pd.Series(dtype=float)
    values = pd.Series(
        np.where(band == "high", 100.0, np.where(band == "low", -100.0, 0.0))[scored],
        index=records["record_id"].to_numpy()[scored],
    )
    values = values[~values.index.duplicated()]
    total, n = float(values.sum()), len(values)
    negative = mentions.loc[mentions["sentiment"] < NEGATIVE_BELOW, ["theme_id", "record_id"]].drop_duplicates()
    negative = negative.assign(value=negative["record_id"].map(values)).dropna(subset=["value"])
    if negative.empty:  # no scored complaint (or no mention sentiment at all): nothing to cost
        return pd.Series(dtype=float)
    inside = negative.groupby("theme_id")["value"].agg(["sum", "count"])
    inside = inside.loc[inside["count"] < n]
    return (total - inside["sum"]) / (n - inside["count"]) - total / n


def _metric_rows(drivers: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The drivers rows of one metric (all rows of a table without a ``metric`` column, read as NPS)."""
    if drivers is None or drivers.empty or "metric" not in drivers:
        return drivers if metric == "nps" else pd.DataFrame()
    return drivers.loc[drivers["metric"].astype(str) == metric]


def _impact_columns(drivers: pd.DataFrame, index: pd.Index) -> tuple[list[str | None], np.ndarray]:
    """The impact metric's name and each theme's impact on it (the drivers' first block)."""
    if drivers is None or drivers.empty or "theme_id" not in drivers:
        return [None] * len(index), np.full(len(index), np.nan)
    metric = str(drivers["metric"].iloc[0]) if "metric" in drivers else "nps"
    column = "impact" if "impact" in drivers else "nps_impact"
    return [metric] * len(index), _driver_column(_metric_rows(drivers, metric), index, column)


def _driver_column(drivers: pd.DataFrame, index: pd.Index, column: str) -> np.ndarray:
    """A drivers column aligned to the theme index; NaN where the table has no row or column."""
    if drivers is None or drivers.empty or column not in drivers or "theme_id" not in drivers:
        return np.full(len(index), np.nan)
    by_theme = (
        drivers.assign(theme_id=drivers["theme_id"].astype(int)).drop_duplicates("theme_id").set_index("theme_id")
    )
    return pd.to_numeric(by_theme[column], errors="coerce").reindex(index).to_numpy(float)


def churn_and_revenue(records: pd.DataFrame, mentions: pd.DataFrame, *, min_volume: int) -> pd.DataFrame:
    """Per theme: churn uplift and revenue at risk (see the module docstring for the formulas)."""
    customers = customers_table(records)
    known = customers["churned"].notna()
    themes = np.sort(mentions["theme_id"].unique())
    out = pd.DataFrame(
        index=pd.Index(themes, name="theme_id"), columns=["churn_uplift", "revenue_at_risk"], dtype=float
    )
    if known.sum() == 0:
        return out
    churn = customers.loc[known, "churned"].astype(float)
    total_churned, total_known = churn.sum(), len(churn)
    raised_by_theme = mentions.groupby("theme_id")["customer_key"].unique()
    for theme_id, raised in raised_by_theme.items():
        raised_known = churn.reindex(raised).dropna()
        n_with = len(raised_known)
        n_without = total_known - n_with
        if n_with < min_volume or n_without == 0:
            continue
        rate_with = raised_known.mean()
        rate_without = (total_churned - raised_known.sum()) / n_without
        # +0.5 / +1 smoothing keeps the ratio finite when nobody outside the theme churned.
        out.loc[theme_id, "churn_uplift"] = ((raised_known.sum() + 0.5) / (n_with + 1)) / (
            (total_churned - raised_known.sum() + 0.5) / (n_without + 1)
        )
        value = customers["value"].reindex(raised).dropna()
        if len(value):
            out.loc[theme_id, "revenue_at_risk"] = float(value.sum()) * max(0.0, rate_with - rate_without)
    return out


def _shrunk_negativity(table: pd.DataFrame) -> pd.Series:
    """Negativity pulled towards the all-theme share by :data:`NEGATIVITY_PRIOR` pseudo-mentions.

    Three negative mentions out of three is weaker evidence than 300 out of 400; without the pull
    every rare theme would top the negativity component by chance.
    """
    n = table["_n_rated"].astype(float)
    k = table["negativity"] * n
    prior = k.sum() / n.sum() if n.sum() > 0 else 0.0
    return (k + NEGATIVITY_PRIOR * prior) / (n + NEGATIVITY_PRIOR)


def _score(table: pd.DataFrame, settings: ImpactSettings) -> pd.Series:
    """Weighted mean of rank-normalised components, in [0, 1]."""
    growth = (table["trend_p_value"] < TREND_ALPHA) & ((table["trend_pct"] > 0) | table["is_new"])
    ranks = {
        "volume": rank_normalise(
            table["_neg_customers"] if table["negativity"].notna().any() else table["n_customers"]
        ),
        "trend": rank_normalise(
            pd.Series(np.where(growth, -np.log10(table["trend_p_value"].clip(lower=1e-300)), 0.0), index=table.index)
        ),
        "negativity": rank_normalise(_shrunk_negativity(table)),
        "nps_impact": rank_normalise(-table["impact"]),
        "churn": rank_normalise(table["churn_uplift"] - 1.0),
        "revenue": rank_normalise(table["revenue_at_risk"]),
        "cost": rank_normalise(table["cost_to_serve"]),
    }
    if table["_complaint_cost"].notna().any():
        ranks["nps_impact"] = rank_normalise(table["_complaint_cost"])
    weights = settings.weights.model_dump()
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("impact.weights: at least one weight must be positive")
    score = sum(weights.get(name, 0.0) * rank for name, rank in ranks.items())
    return score / total


def impact_phrase(metric: str, impact: float) -> str:
    """E.g. "NPS impact -4.1 pts", "stars impact -0.12 stars", "sentiment impact -3.0 pts"."""
    digits = 2 if metric in ("ces", "stars") else 1
    name = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}.get(metric, metric)
    return f"{name} impact {impact:+.{digits}f} {IMPACT_UNITS.get(metric, 'pts')}"


def _why(row, windows: Windows, currency: str, *, who: str = "customer") -> str:
    """Plain-language reason, e.g. "3rd: 412 customers, NPS impact -4.1 pts, churn 2.3x baseline".

    ``who`` is "record" when the input has no customer ids: each record then counts as its own
    customer, and the sentence says what was counted.
    """
    parts = [f"{ordinal(int(row.rank))}: {int(row.n_customers):,} {who}{'s' if row.n_customers != 1 else ''}"]
    if pd.notna(row.impact):
        parts.append(impact_phrase(row.impact_metric, row.impact))
    if pd.notna(row.churn_uplift):
        parts.append(f"churn {row.churn_uplift:.1f}x baseline")
    if pd.notna(row.revenue_at_risk) and row.revenue_at_risk > 0:
        parts.append(f"{currency} {row.revenue_at_risk:,.0f} revenue at risk")
    if pd.notna(row.trend_p_value) and row.trend_p_value < TREND_ALPHA:
        if row.is_new:
            parts.append(f"new: {int(row.n_current)} mentions in the last {windows.current_days} days")
        elif pd.notna(row.trend_pct):
            verb = "growing" if row.trend_pct > 0 else "falling"
            parts.append(f"{verb} {row.trend_pct:+.0f} % {windows.describe()}")
    if pd.notna(row.negativity):
        parts.append(f"{100 * row.negativity:.0f} % of mentions negative")
    if row.cost_to_serve > 0:
        parts.append(f"{currency} {row.cost_to_serve:,.0f} cost to serve")
    return ", ".join(parts)
