"""The overview section's data: record counts, survey-score headlines and breakdowns, changes."""

from __future__ import annotations

from typing import Any, Final

import pandas as pd

from voc.metrics.periods import choose_period, latest_sufficient
from voc.report import formatting as fmt
from voc.report.context import ReportContext
from voc.report.figures import METRIC_LABELS, OVERALL, overall_metrics

#: Short metric names for chips and narrow table headers.
METRIC_SHORT: Final[dict[str, str]] = {
    "nps": "NPS",
    "csat": "CSAT %",
    "ces": "CES",
    "ces_easy": "CES easy %",
    "stars": "Stars",
}

#: Below this many answers a score is not quoted as a headline value (its n still is).
TOO_FEW_ANSWERS: Final = 5

CHANGE_LABELS: Final[dict[str, str]] = {
    "nps_delta": "NPS change",
    "new_themes": "New themes",
    "retired_themes": "Retired themes",
}


#: Values a reader learns nothing from when they are all a breakdown holds (no such input column).
_NO_VALUE: Final = frozenset({"", fmt.DASH, "other", "unknown", "none", "nan"})


def _counts(records: pd.DataFrame, column: str, *, label=None) -> list[dict[str, Any]]:
    """Bars of one breakdown; none when the column is missing or holds no real value."""
    if column not in records or records.empty:
        return []
    counts = records[column].fillna(fmt.DASH).astype(str).value_counts()
    if set(counts.index.str.lower()) <= _NO_VALUE:
        return []
    total = int(counts.sum())
    # Bars are scaled to the largest group so small differences stay visible.
    top = int(counts.max())
    return [
        {
            "name": label(k) if label else k,
            "n": fmt.number(v),
            "share": fmt.percent(v / total),
            "pct": round(100 * v / top, 1),
        }
        for k, v in counts.items()
    ]


# --- headline --------------------------------------------------------------------------------


def headline_figures(metrics: pd.DataFrame) -> list[dict[str, Any]]:
    """Latest overall value per metric, with its interval and the change from the period before.

    A period flagged ``small_sample`` is never quoted: the newest period with enough answers is
    (:func:`voc.metrics.latest_sufficient`), and the text says which period it is.
    """
    overall = overall_metrics(metrics)
    out = []
    for name in [m for m in METRIC_LABELS if m in set(overall["metric"])]:
        part = overall.loc[overall["metric"] == name]
        window = part.loc[part["period_start"].isna()]
        periods = part.loc[part["period_start"].notna()]
        sufficient = (
            periods.loc[~periods["small_sample"].fillna(False).astype(bool)] if "small_sample" in periods else periods
        )
        good = latest_sufficient(periods) if "small_sample" in periods else (periods.iloc[-1] if len(periods) else None)
        row = window.iloc[-1] if not window.empty else (good if good is not None else periods.iloc[-1])
        grain = str(good.get("period")) if good is not None and isinstance(good.get("period"), str) else "period"
        # The change is shown only next to a period value; beside a whole-window value it would
        # compare two different things. The latest period is then shown as a detail instead.
        delta = None
        if window.empty and len(sufficient) >= 2:
            last, prev = fmt.as_float(sufficient["value"].iloc[-1]), fmt.as_float(sufficient["value"].iloc[-2])
            delta = None if last is None or prev is None else last - prev
        digits = 2 if name in ("ces", "stars") else 1
        out.append(
            {
                "metric": name,
                "label": METRIC_LABELS[name],
                "value": fmt.number(row["value"], digits),
                "interval": (
                    f"{fmt.number(row.get('ci_low'), digits)} – {fmt.number(row.get('ci_high'), digits)}"
                    if fmt.as_float(row.get("ci_low")) is not None
                    else ""
                ),
                "n": fmt.number(row.get("n")),
                "small": fmt.truthy(row.get("small_sample")),
                # a handful of answers is no figure at all: said as such, never a headline "-100.0"
                "withheld": (fmt.as_float(row.get("n")) or 0) < TOO_FEW_ANSWERS,
                "delta": fmt.signed(delta, digits) if delta is not None else "",
                "delta_sign": 0 if delta is None or abs(delta) < 1e-9 else (1 if delta > 0 else -1),
                "scope": "whole window" if not window.empty else f"{grain} of {fmt.date(row['period_start'])}",
                "latest": (
                    f"latest {grain} with enough answers ({fmt.date(good['period_start'])}) "
                    f"{fmt.number(good['value'], digits)} (n={fmt.number(good['n'])})"
                    if not window.empty and good is not None
                    else ""
                ),
            }
        )
    return out


def _metric_cell(row: Any) -> dict[str, Any]:
    digits = 2 if row["metric"] in ("ces", "stars") else 1
    low, high = fmt.as_float(row.get("ci_low")), fmt.as_float(row.get("ci_high"))
    return {
        "value": fmt.number(row["value"], digits),
        "n": fmt.number(row.get("n")),
        "ci": f"{fmt.number(low, digits)} – {fmt.number(high, digits)}" if low is not None and high is not None else "",
        "small": fmt.truthy(row.get("small_sample")),
    }


def _breakdown_rows(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per-group rows (not overall, not per theme) for the latest period or the whole window."""
    dim = metrics["dimension"].fillna("").astype(str).str.lower()
    part = metrics.loc[~dim.isin(OVERALL | {"theme"})].copy()
    if part.empty:
        return part
    part["period_start"] = pd.to_datetime(part["period_start"], errors="coerce")
    if part["period_start"].isna().any():
        return part.loc[part["period_start"].isna()]
    return part.loc[part["period_start"] == part["period_start"].max()]


def _segment_metrics(metrics: pd.DataFrame) -> dict[str, Any]:
    """Scores by segment, channel, stage...: one row per group, one column per metric."""
    if metrics is None or metrics.empty:
        return {"metrics": [], "rows": []}
    part = _breakdown_rows(metrics)
    if part.empty:
        return {"metrics": [], "rows": []}
    names = [m for m in METRIC_LABELS if m in set(part["metric"])]
    rows = []
    for (dimension, group), grp in part.groupby(["dimension", "group"], sort=True):
        by_metric = {r["metric"]: _metric_cell(r) for r in grp.to_dict("records")}
        rows.append(
            {"dimension": fmt.humanize(str(dimension)), "group": str(group), "cells": [by_metric.get(m) for m in names]}
        )
    return {"metrics": [METRIC_SHORT.get(m, m) for m in names], "rows": rows}


def theme_metrics(metrics: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Scores among records that mention each theme (dimension ``theme``, group = theme id)."""
    if metrics is None or metrics.empty:
        return {}
    dim = metrics["dimension"].fillna("").astype(str).str.lower()
    part = metrics.loc[dim == "theme"]
    if "period_start" in part and part["period_start"].isna().any():
        part = part.loc[part["period_start"].isna()]
    out: dict[str, list[dict[str, Any]]] = {}
    for r in part.to_dict("records"):
        if r["metric"] in METRIC_SHORT:
            out.setdefault(str(r["group"]), []).append({"label": METRIC_SHORT[r["metric"]]} | _metric_cell(r))
    return out


def _records_grain(records: pd.DataFrame) -> str:
    """The bar width of the records chart (:func:`voc.report.figures.records_over_time_figure`)."""
    if "created_at" not in records:
        return "day"
    dates = pd.to_datetime(records["created_at"], errors="coerce").dropna()
    return choose_period(dates, min_n=1) if not dates.empty else "day"


def _themes_kpi(counts: dict[str, int] | None, n_listed: int) -> dict[str, Any]:
    """The themes tile: live leaf themes, and how many are ranked, context themes and parent groups."""
    if not counts:
        return {"label": "Themes", "value": fmt.number(n_listed)}
    parts = [f"{fmt.number(counts['n_ranked_themes'])} ranked"]
    if counts.get("n_context_themes"):
        parts.append(f"{fmt.number(counts['n_context_themes'])} only beside others")
    if counts.get("n_parent_themes"):
        parts.append(f"in {fmt.number(counts['n_parent_themes'])} groups")
    return {"label": "Themes", "value": fmt.number(counts["n_themes"]), "detail": ", ".join(parts)}


def overview_view(ctx: ReportContext) -> dict[str, Any]:
    """KPI tiles, score headlines, breakdowns by source/channel/language and changes."""
    records = ctx.records
    themes = ctx.themes
    status = themes["status"].astype(str) if "status" in themes else pd.Series("active", index=themes.index)
    commented = int((records["text"].fillna("").astype(str).str.strip() != "").sum())
    n_total = ctx.run.get("n_records") or len(records)
    return {
        "kpis": [
            {"label": "Records", "value": fmt.number(n_total)},
            {"label": "New this run", "value": fmt.number(ctx.run.get("n_new_records"))},
            {"label": "With a comment", "value": fmt.number(commented)},
            _themes_kpi(ctx.run.get("theme_counts"), int((status != "retired").sum())),
            {
                "label": "Languages",
                "value": fmt.number(records["language"].nunique() if "language" in records else None),
            },
        ],
        "headline": headline_figures(ctx.metrics),
        "by": [
            {"title": "Source", "rows": _counts(records, "source")},
            {"title": "Channel", "rows": _counts(records, "channel")},
            {"title": "Language", "rows": _counts(records, "language", label=fmt.language)},
            {"title": "Type", "rows": _counts(records, "source_type")},
        ],
        "segments": _segment_metrics(ctx.metrics),
        "changes": [
            {"label": CHANGE_LABELS.get(k, fmt.humanize(k)), "value": fmt.cell(v)} for k, v in ctx.changes.items()
        ],
        "sampled": bool(ctx.run.get("records_sampled")),
        "n_shown": fmt.number(len(records)),
        "records_grain": _records_grain(records),
    }
