"""The planted truth, measured on the generated sample itself.

Scenarios are planted through probabilities, so what a test or a benchmark should expect is what
was *realised*: the numbers here are computed from the finished table (e.g. the spike's daily
rate against its baseline), next to the design parameters that produced them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np
import pandas as pd

from voc.sample.catalog import SOURCE_TYPES, THEMES, theme_with_role
from voc.sample.phrases import BANKS


class _RecordLike(Protocol):
    created: dt.datetime
    customer: int
    source_type: str
    text: str
    score: float | None
    score_type: str | None
    themes: list[str]
    tags: list[str]
    pii: list[str]
    feedback_id: str


def _r(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def nps(scores: Iterable[float | None]) -> float:
    """Net Promoter Score in points (-100..100) of 0-10 answers; NaN when there are none."""
    s = np.asarray(list(scores), dtype=float)
    if s.size == 0:
        return float("nan")
    return float(100.0 * ((s >= 9).mean() - (s <= 6).mean()))


def _valid(r: _RecordLike) -> bool:
    return "bad_row" not in r.tags and "duplicate" not in r.tags


def _commented(r: _RecordLike) -> bool:
    return _valid(r) and bool(r.text) and "silent" not in r.tags


def _theme_counts(records: list[_RecordLike]) -> dict[str, int]:
    counts = {t.id: 0 for t in THEMES}
    for r in records:
        if _commented(r):
            for theme in r.themes:
                counts[theme] += 1
    return counts


def _spike(records: list[_RecordLike], end: dt.date, cfg: dict[str, Any]) -> dict[str, Any]:
    theme = theme_with_role("spike").id
    window_start = end - dt.timedelta(days=cfg["spike_days"] - 1)
    baseline_start = window_start - dt.timedelta(days=28)
    days = [r.created.date() for r in records if _valid(r) and theme in r.themes]
    in_window = sum(window_start <= d <= end for d in days)
    in_base = sum(baseline_start <= d < window_start for d in days)
    rate_w, rate_b = in_window / cfg["spike_days"], in_base / 28
    return {
        "theme": theme,
        "window_start": window_start.isoformat(),
        "window_end": end.isoformat(),
        "baseline_start": baseline_start.isoformat(),
        "baseline_days": 28,
        "planted_factor": cfg["spike_factor"],
        "count_window": in_window,
        "count_baseline": in_base,
        "daily_rate_window": _r(rate_w),
        "daily_rate_baseline": _r(rate_b),
        "ratio": _r(rate_w / rate_b if rate_b else float("inf")),
    }


def _churn_by_theme(records: list[_RecordLike], customers: pd.DataFrame) -> dict[str, Any]:
    churned = customers["churned"].to_numpy()
    responded = customers["responded"].to_numpy()
    out: dict[str, Any] = {}
    raised: dict[str, set[int]] = {t.id: set() for t in THEMES}
    for r in records:
        for t in r.themes:
            raised[t].add(r.customer)
    for theme in THEMES:
        raisers = np.zeros(len(customers), dtype=bool)
        raisers[sorted(raised[theme.id])] = True
        others = responded & ~raisers
        out[theme.id] = {
            "customers": int(raisers.sum()),
            "churn_raisers": _r(churned[raisers].mean()) if raisers.any() else None,
            "churn_others": _r(churned[others].mean()),
            "planted_multiplier": theme.churn_multiplier,
        }
        if raisers.any() and churned[others].mean() > 0:
            out[theme.id]["uplift"] = _r(churned[raisers].mean() / churned[others].mean())
    return out


def _low_volume(records: list[_RecordLike], counts: dict[str, int], churn: dict[str, Any]) -> dict[str, Any]:
    theme = theme_with_role("low_volume_high_impact").id
    commented = sum(_commented(r) for r in records)
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    answers = [r for r in records if _commented(r) and r.score_type == "nps"]
    nps_in = [r.score for r in answers if theme in r.themes]
    nps_out = [r.score for r in answers if theme not in r.themes]
    gaps = {}
    for t in counts:
        s_in = [r.score for r in answers if t in r.themes]
        s_out = [r.score for r in answers if t not in r.themes]
        gaps[t] = nps(s_in) - nps(s_out) if s_in else float("nan")
    return {
        "theme": theme,
        "n_records": counts[theme],
        "share_of_commented": _r(counts[theme] / commented),
        "volume_rank": ranked.index(theme) + 1,
        "nps_answers_raisers": len(nps_in),
        "nps_raisers": _r(nps(nps_in)),
        "nps_others": _r(nps(nps_out)),
        "detractor_share_raisers": _r(float(np.mean(np.asarray(nps_in) <= 6)) if nps_in else float("nan")),
        "nps_gap_rank": sorted((t for t in gaps if np.isfinite(gaps[t])), key=lambda t: gaps[t]).index(theme) + 1,
        "nps_gap_by_theme": {t: _r(g) for t, g in gaps.items()},
        "churn_raisers": churn[theme]["churn_raisers"],
        "churn_others": churn[theme]["churn_others"],
    }


def _silent(records: list[_RecordLike], frame: pd.DataFrame, cfg: dict[str, Any]) -> dict[str, Any]:
    target = cfg["silent_detractor_target"]
    seg = frame["segment"].to_numpy()
    stage = frame["journey_stage"].to_numpy()
    in_cell = (seg == target["segment"]) & (stage == target["journey_stage"])
    nps_rows = np.array([_valid(r) and r.score_type == "nps" for r in records])
    sd = np.array(["silent_detractor" in r.tags for r in records])
    return {
        "segment": target["segment"],
        "journey_stage": target["journey_stage"],
        "count": int(sd.sum()),
        "count_in_target": int((sd & in_cell).sum()),
        "share_of_nps_answers_in_target": _r((sd & in_cell).sum() / max((nps_rows & in_cell).sum(), 1)),
        "share_of_nps_answers_elsewhere": _r((sd & ~in_cell).sum() / max((nps_rows & ~in_cell).sum(), 1)),
        "empty_text": int(sum(1 for r in records if "silent_detractor" in r.tags and not r.text)),
        "nothing_to_add_phrases": {lang: list(bank.GENERIC["nothing"]) for lang, bank in BANKS.items()},
        "planted_churn_multiplier": cfg["silent_detractor_churn"],
    }


def _non_responders(customers: pd.DataFrame) -> dict[str, Any]:
    resp = customers["responded"].to_numpy()
    churned = customers["churned"].to_numpy()
    value = customers["customer_value"].to_numpy()
    return {
        "customers": len(customers),
        "responders": int(resp.sum()),
        "non_responders": int((~resp).sum()),
        "churn_responders": _r(churned[resp].mean()),
        "churn_non_responders": _r(churned[~resp].mean()),
        "mean_value_responders": _r(value[resp].mean()),
        "mean_value_non_responders": _r(value[~resp].mean()),
    }


def summarise(
    frame: pd.DataFrame,
    records: list[_RecordLike],
    customers: pd.DataFrame,
    *,
    config: dict[str, Any],
    duplicates: list[dict[str, str]],
    bad_rows: list[dict[str, str]],
) -> dict[str, Any]:
    """Build the JSON-ready ``planted`` dictionary (see ``data/README.md`` for every key)."""
    end = dt.date.fromisoformat(config["end_date"])
    counts = _theme_counts(records)
    churn = _churn_by_theme(records, customers)
    blind = theme_with_role("blind_spot").id
    emerging = theme_with_role("emerging").id
    emerging_days = sorted(r.created.date() for r in records if emerging in r.themes)
    by_source = {
        s: sum(1 for r in records if _valid(r) and r.source_type == s and blind in r.themes) for s in SOURCE_TYPES
    }
    return {
        "generator": config,
        "themes": [
            {
                "id": t.id,
                "names": t.names,
                "polarity": t.polarity,
                "journey_stage": t.journey_stage,
                "role": t.role,
                "score_shift": t.score_shift,
                "churn_multiplier": t.churn_multiplier,
                "n_records": counts[t.id],
            }
            for t in THEMES
        ],
        "languages": {lang: int((frame["language"] == lang).sum()) for lang in BANKS},
        "scenarios": {
            "spike": _spike(records, end, config),
            "low_volume_high_impact": _low_volume(records, counts, churn),
            "silent_detractors": _silent(records, frame, config),
            "blind_spot": {"theme": blind, "absent_from": "survey", "by_source_type": by_source},
            "emerging": {
                "theme": emerging,
                "window_days": config["emerging_days"],
                "first_seen": emerging_days[0].isoformat() if emerging_days else None,
                "count": len(emerging_days),
            },
            "polite_detractors": [r.feedback_id for r in records if "polite_detractor" in r.tags],
            "at_risk_promoters": [r.feedback_id for r in records if "at_risk_promoter" in r.tags],
            "churn_by_theme": churn,
            "non_responders": _non_responders(customers),
        },
        "duplicates": duplicates,
        "bad_rows": bad_rows,
        "records": [
            {"feedback_id": r.feedback_id, "themes": list(r.themes), "tags": list(r.tags), "pii": list(r.pii)}
            for r in records
        ],
    }
