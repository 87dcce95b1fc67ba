"""Survey metrics per period and per group, each with a confidence interval and a small-sample flag.

Metrics and their units (the ``value`` column):

- ``nps``: Net Promoter Score in points, -100..100 (promoters 9-10, passives 7-8, detractors 0-6),
  adjusted-Wald interval on the trinomial variance.
- ``csat``: top-2-box share in percent (answers 4-5 on 1-5), Wilson interval.
- ``ces``: mean Customer Effort Score on 1-7 (7 = very easy), Student-t interval.
- ``ces_easy``: share of CES answers >= 5 in percent, Wilson interval.
- ``stars``: mean star rating on 1-5, Student-t interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from voc.metrics.intervals import mean_interval, nps_interval, wilson_interval
from voc.metrics.periods import period_start

METRIC_COLUMNS: tuple[str, ...] = (
    "metric",
    "period_start",
    "dimension",
    "group",
    "n",
    "value",
    "ci_low",
    "ci_high",
    "small_sample",
    "period",
)
#: which ``score_type`` each metric is computed from
METRIC_SOURCE: dict[str, str] = {"nps": "nps", "csat": "csat", "ces": "ces", "ces_easy": "ces", "stars": "stars"}
ALL = "all"


def nps_value(scores: np.ndarray, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """NPS of 0-10 answers, shape (n,): (points, low, high)."""
    scores = np.asarray(scores, dtype=float)
    return nps_interval(
        int((scores >= 9).sum()),
        int(((scores >= 7) & (scores < 9)).sum()),
        int((scores <= 6).sum()),
        confidence=confidence,
    )


def csat_value(scores: np.ndarray, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """Top-2-box share (answers >= 4 on 1-5) in percent: (value, low, high)."""
    scores = np.asarray(scores, dtype=float)
    return wilson_interval(int((scores >= 4).sum()), len(scores), confidence=confidence)


def ces_easy_value(scores: np.ndarray, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """Share of CES answers >= 5 on 1-7 ("easy") in percent: (value, low, high)."""
    scores = np.asarray(scores, dtype=float)
    return wilson_interval(int((scores >= 5).sum()), len(scores), confidence=confidence)


def mean_value(scores: np.ndarray, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean answer (CES, stars): (value, low, high)."""
    return mean_interval(scores, confidence=confidence)


#: metric name -> function(scores, confidence=) -> (value, low, high); add entries to extend
METRICS: dict[str, Callable[..., tuple[float, float, float]]] = {
    "nps": nps_value,
    "csat": csat_value,
    "ces": mean_value,
    "ces_easy": ces_easy_value,
    "stars": mean_value,
}


def compute_survey_metrics(
    records: pd.DataFrame,
    *,
    by: Sequence[str] = (),
    period: str | None = "week",
    confidence: float = 0.95,
    min_sample: int = 30,
    record_themes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """NPS, CSAT, CES, share easy and stars, overall or per group, per period or in total.

    One call gives one view; call again for another (overall and by segment, weekly and in total)
    and concatenate: no row is repeated across views.

    Parameters
    ----------
    records : DataFrame
        Canonical records (:data:`voc.schemas.RECORD_COLUMNS`); ``score``, ``score_type`` and, with
        a period, ``created_at`` are read, plus the ``by`` columns.
    by : sequence of str
        Dimensions to break down by, each on its own, e.g. ``("segment", "channel",
        "journey_stage", "theme")``; empty gives the overall rows (dimension and group "all").
        ``"theme"`` needs ``record_themes``; a record counts once in every theme it mentions.
    period : {"day", "week", "month", "quarter"} or None
        Time grain: one row per period, or, with None, one row for the whole range
        (``period_start`` NaT). :func:`voc.metrics.periods.choose_period` picks one that fits
        the data.
    confidence : float
        Two-sided level of every interval.
    min_sample : int
        Groups with fewer answers get ``small_sample=True``: show the interval or a dash, never
        the bare value.
    record_themes : DataFrame, optional
        Long table of :data:`voc.schemas.RECORD_THEME_COLUMNS` (``record_id``, ``theme_id``).

    Returns
    -------
    DataFrame with columns :data:`METRIC_COLUMNS`: ``metric`` (nps | csat | ces | ces_easy | stars),
    ``period_start`` (datetime64, NaT for the whole range), ``dimension`` ("all" or the ``by``
    column), ``group`` (str; "all" for the overall row), ``n`` (answers), ``value``, ``ci_low``,
    ``ci_high`` (units in the module docstring), ``small_sample`` (bool: a point to draw as such
    and never to quote as a headline) and ``period`` (the grain, None for the whole range).
    Metrics without any answer are left out.
    """
    _check_columns(records, ["score", "score_type"] + ([] if period is None else ["created_at"]), "records")
    scored = records[records["score"].notna() & records["score_type"].notna()].copy()
    scored["score"] = pd.to_numeric(scored["score"], errors="coerce")
    scored["_period"] = period_start(scored["created_at"], period) if period else pd.NaT
    frames = [_long_by_dimension(scored, dim, record_themes) for dim in (tuple(by) or (ALL,))]
    rows: list[tuple] = []
    for frame in frames:
        for metric, source in METRIC_SOURCE.items():
            answers = frame[frame["score_type"].astype(str).str.lower() == source]
            if answers.empty:
                continue
            rows += _metric_rows(answers, metric, confidence, min_sample, period is not None)
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in METRIC_COLUMNS})
    out = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    out["period_start"] = pd.to_datetime(out["period_start"])
    out["period"] = period
    return out.astype({"n": "int64", "small_sample": bool, "group": object, "dimension": object})


def _metric_rows(
    answers: pd.DataFrame, metric: str, confidence: float, min_sample: int, per_period: bool
) -> list[tuple]:
    func = METRICS[metric]
    rows = []
    cols = ["_group", "_period"] if per_period else ["_group"]
    for key, part in answers.groupby(cols, sort=True, dropna=True):
        group = key[0]
        start = key[1] if per_period else pd.NaT
        value, low, high = func(part["score"].to_numpy(dtype=float), confidence=confidence)
        n = len(part)
        rows.append((metric, start, part["_dimension"].iat[0], str(group), n, value, low, high, n < min_sample, None))
    return rows


def _long_by_dimension(scored: pd.DataFrame, dim: str, record_themes: pd.DataFrame | None) -> pd.DataFrame:
    """Scored rows with ``_dimension`` and ``_group`` set; one row per (record, theme) for themes."""
    if dim == ALL:
        return scored.assign(_dimension=ALL, _group=ALL)
    if dim == "theme":
        if record_themes is None:
            raise ValueError("by='theme' needs record_themes (record_id, theme_id)")
        _check_columns(record_themes, ["record_id", "theme_id"], "record_themes")
        _check_columns(scored, ["record_id"], "records")
        pairs = record_themes[["record_id", "theme_id"]].drop_duplicates()
        # the records' own primary theme column would collide with the mention table's
        merged = scored.drop(columns=["theme_id"], errors="ignore").merge(pairs, on="record_id", how="inner")
        return merged.assign(_dimension="theme", _group=merged["theme_id"].astype(int).astype(str))
    _check_columns(scored, [dim], "records")
    part = scored[scored[dim].notna()]
    return part.assign(_dimension=dim, _group=part[dim].astype(str))


def _check_columns(frame: pd.DataFrame, needed: Sequence[str], name: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise KeyError(f"{name} is missing column(s) {missing}; it has {list(frame.columns)}")
