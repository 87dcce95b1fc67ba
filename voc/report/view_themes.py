"""The priority table and the theme cards: what to fix first, and what each theme is about."""

from __future__ import annotations

from typing import Any, Final

import pandas as pd

from voc.impact import has_customer_ids
from voc.metrics.drivers import IMPACT_DEFINITIONS
from voc.report import formatting as fmt
from voc.report.context import ReportContext
from voc.report.svg import sparkline
from voc.report.view_overview import theme_metrics

#: Verbatims longer than this are collapsed behind a <details> showing their start.
LONG_VERBATIM: Final = 280
#: Theme cards shown; the rest are listed by name so nothing is silently dropped.
MAX_THEME_CARDS: Final = 80
#: Theme cards shown open (the top of the priority list); the rest are folded to their header.
OPEN_THEME_CARDS: Final = 5
#: Records listed per theme card.
MAX_CARD_RECORDS: Final = 12

# --- priorities ------------------------------------------------------------------------------


def _theme_rows(ctx: ReportContext) -> dict[Any, dict[str, Any]]:
    return {r["theme_id"]: r for r in ctx.themes.drop_duplicates("theme_id").to_dict("records")}


def priorities_view(ctx: ReportContext, currency: str) -> dict[str, Any]:
    """Rows of the priority table, formatted, with raw values for sorting in ``sort``."""
    pr = ctx.priorities.sort_values("rank", kind="stable")
    themes = _theme_rows(ctx)
    rows = []
    for pos, r in enumerate(pr.to_dict("records"), start=1):
        tid = r.get("theme_id")
        theme = themes.get(tid, {})
        rank = fmt.as_float(r.get("rank"))
        trend = fmt.as_float(r.get("trend_pct"))
        rows.append(
            {
                "rank": int(rank) if rank is not None else pos,
                "theme_id": tid,
                "label": fmt.text(r.get("theme_label"), f"theme {tid}"),
                "parent": None if fmt.is_missing(theme.get("parent_label")) else theme.get("parent_label"),
                "area": "" if fmt.is_missing(theme.get("area")) else str(theme.get("area")),
                "score": fmt.number(r.get("priority_score"), 2),
                "score_pct": round(100 * max(0.0, min(1.0, fmt.as_float(r.get("priority_score")) or 0.0)), 1),
                "n_records": fmt.number(r.get("n_records")),
                "n_customers": fmt.number(r.get("n_customers")),
                "share": fmt.percent(r.get("share"), 1),
                "trend": fmt.signed(trend, 0, "\u202f%"),
                "trend_dir": 0 if trend is None or abs(trend) < 1 else (1 if trend > 0 else -1),
                "trend_p": fmt.p_value(r.get("trend_p_value")),
                "negativity": fmt.percent(r.get("negativity")),
                "sentiment": fmt.signed(r.get("mean_sentiment"), 2),
                "sentiment_class": fmt.sentiment_class(r.get("mean_sentiment")),
                "nps_impact": fmt.signed(r.get("nps_impact"), 1),
                "impact": fmt.signed(r.get("impact"), 2 if r.get("impact_metric") in ("ces", "stars") else 1),
                "churn": fmt.ratio(r.get("churn_uplift")),
                "revenue": fmt.compact(r.get("revenue_at_risk")),
                "cost": fmt.compact(r.get("cost_to_serve")),
                "why": fmt.text(r.get("why"), ""),
                "sort": {
                    k: fmt.sort_key(r.get(k))
                    for k in (
                        "rank",
                        "theme_label",
                        "priority_score",
                        "n_records",
                        "n_customers",
                        "share",
                        "trend_pct",
                        "negativity",
                        "mean_sentiment",
                        "nps_impact",
                        "impact",
                        "churn_uplift",
                        "revenue_at_risk",
                        "cost_to_serve",
                    )
                },
            }
        )
    # Columns that hold nothing for any row (no churn data, no values, no contact sources) are left out.
    has = {
        k: bool(pd.to_numeric(pr[k], errors="coerce").fillna(0).ne(0).any()) if k in pr else False
        for k in (
            "n_customers",
            "trend_pct",
            "nps_impact",
            "impact",
            "churn_uplift",
            "revenue_at_risk",
            "cost_to_serve",
        )
    }
    # without customer ids every record counts as its own customer: the column would repeat Records
    if not has_customer_ids(ctx.records):
        has["n_customers"] = False
    areas = sorted({r["area"] for r in rows if r["area"]})
    metric = next((str(m) for m in pr.get("impact_metric", pd.Series(dtype=object)).dropna()), None)
    return {
        "rows": rows,
        "has": has,
        "areas": areas,
        # the impact column is headed by its own metric ("Stars impact"), defined in the method text
        "impact_label": {"nps": "NPS", "csat": "CSAT", "ces": "CES", "stars": "Stars", "sentiment": "Sentiment"}.get(
            metric or "", "NPS"
        ),
        "impact_definition": IMPACT_DEFINITIONS.get(metric or "", ""),
    }


# --- theme cards -----------------------------------------------------------------------------


def _verbatims(raw: Any) -> list[dict[str, Any]]:
    """Group the theme's representative quotes by language, long ones marked for collapsing."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in fmt.json_value(raw, []):
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict):
            continue
        text = str(item.get("text", ""))
        lang = str(fmt.text(item.get("language"), "und"))
        groups.setdefault(lang, []).append(
            {
                "record_id": None if fmt.is_missing(item.get("record_id")) else str(item.get("record_id")),
                "text": text,
                "long": len(text) > LONG_VERBATIM,
                "short": text[: LONG_VERBATIM - 80].rstrip() + "…" if len(text) > LONG_VERBATIM else text,
            }
        )
    return [{"language": lang, "name": fmt.language(lang), "quotes": items} for lang, items in groups.items()]


def _keywords(raw: Any) -> list[dict[str, Any]]:
    data = fmt.json_value(raw, {})
    if isinstance(data, list):
        data = {"und": data}
    return [
        {"language": k, "name": fmt.language(k), "words": [str(w) for w in v]}
        for k, v in data.items()
        if isinstance(v, list) and v
    ]


def _split(priority: dict[str, Any]) -> dict[str, Any]:
    """Sentiment split of the theme's mentions in the period: the counts behind its ``negativity``.

    Taken from the priority row, so the card's bar and the priority table's "negative" column are
    one number; a theme without a priority row (no mention in the period) has no split.
    """
    if any(fmt.is_missing(priority.get(f"n_{k}")) for k in ("positive", "neutral", "negative")):
        return {}
    counts = {k: int(priority[f"n_{k}"]) for k in ("positive", "neutral", "negative")}
    total = sum(counts.values())
    if total == 0:
        return {}
    return {
        k: {"n": v, "pct": round(100 * v / total, 1), "text": fmt.percent(v / total)} for k, v in counts.items()
    } | {"total": total}


def _top(recs: pd.DataFrame, column: str, k: int = 5, *, label=None) -> list[dict[str, str]]:
    if column not in recs or recs.empty:
        return []
    vc = recs[column].dropna().astype(str).value_counts().head(k)
    return [{"name": label(n) if label else n, "n": fmt.number(v)} for n, v in vc.items()]


def _card_records(recs: pd.DataFrame, quoted: list[str]) -> list[dict[str, Any]]:
    """Latest records of the theme, the quoted ones first so every quote links to its row.

    ``recs`` arrive sorted newest first (see :func:`_themes`).
    """
    if recs.empty:
        return []
    ids = recs["record_id"].astype(str)
    chosen = recs.loc[ids.isin(quoted)]
    rest = recs.loc[~ids.isin(quoted)].head(max(0, MAX_CARD_RECORDS - len(chosen)))
    out = []
    for r in chosen.to_dict("records") + rest.to_dict("records"):
        text = str(fmt.text(r.get("text"), ""))
        out.append(
            {
                "record_id": str(r["record_id"]),
                "date": fmt.date(r.get("created_at")),
                "channel": fmt.cell(r.get("channel")),
                "language": str(fmt.text(r.get("language"), "und")),
                "score": (
                    f"{fmt.cell(r.get('score'))} {r.get('score_type') or ''}".strip()
                    if not fmt.is_missing(r.get("score"))
                    else fmt.DASH
                ),
                "sentiment_class": fmt.sentiment_class(r.get("sentiment")),
                "sentiment": fmt.signed(r.get("sentiment"), 2),
                "text": text if len(text) <= LONG_VERBATIM else text[:LONG_VERBATIM] + "…",
            }
        )
    return out


def _theme_order(ctx: ReportContext) -> list[Any]:
    ranked = ctx.priorities.sort_values("rank", kind="stable")["theme_id"].tolist()
    rest = ctx.themes.loc[~ctx.themes["theme_id"].isin(ranked)]
    if "n_records" in rest:
        rest = rest.sort_values("n_records", ascending=False, kind="stable")
    known = set(ctx.themes["theme_id"])
    return list(dict.fromkeys([t for t in ranked if t in known] + rest["theme_id"].tolist()))


def _volumes(ctx: ReportContext) -> dict[Any, list[float]]:
    vol = ctx.theme_volumes
    if vol is None or vol.empty:
        return {}
    vol = vol.assign(period_start=pd.to_datetime(vol["period_start"], errors="coerce"))
    table = vol.pivot_table(index="period_start", columns="theme_id", values="n_records", aggfunc="sum", fill_value=0)
    table = table.sort_index()
    return {tid: table[tid].astype(float).tolist() for tid in table.columns}


def themes_view(ctx: ReportContext) -> dict[str, Any]:
    """Theme cards in priority order (then by volume), themes beyond the cap, emerging themes."""
    themes = _theme_rows(ctx)
    priority_rows = {r["theme_id"]: r for r in ctx.priorities.to_dict("records")}
    volumes = _volumes(ctx)
    theme_scores = theme_metrics(ctx.metrics)
    records = ctx.records
    if "created_at" in records:
        records = records.sort_values("created_at", ascending=False, kind="stable")
    by_theme = dict(tuple(records.groupby("theme_id", sort=False))) if not records.empty else {}
    order = _theme_order(ctx)
    cards = []
    for position, tid in enumerate(order[:MAX_THEME_CARDS]):
        t = themes[tid]
        priority = priority_rows.get(tid, {})
        recs = by_theme.get(tid, ctx.records.iloc[0:0])
        vols = volumes.get(tid, [])
        verbatims = _verbatims(t.get("verbatims"))
        quoted = [v["record_id"] for g in verbatims for v in g["quotes"] if v["record_id"]]
        cards.append(
            {
                "id": tid,
                "anchor": f"theme-{tid}",
                "label": fmt.text(t.get("label"), f"theme {tid}"),
                "parent": None if fmt.is_missing(t.get("parent_label")) else t.get("parent_label"),
                "status": str(fmt.text(t.get("status"), "active")),
                "curated": fmt.truthy(t.get("curated")),
                "rank": priority.get("rank"),
                "open": position < OPEN_THEME_CARDS,
                "why": fmt.text(priority.get("why")),
                # one definition everywhere: records mentioning the theme up to the night, as in
                # the priority table and the exports; the registry's count when it is not ranked
                "n_records": fmt.number(priority.get("n_records", t.get("n_records"))),
                "n_records_raw": fmt.sort_key(priority.get("n_records", t.get("n_records"))),
                "n_units": fmt.number(t.get("n_units")),
                "born": fmt.date(t.get("born_at")),
                "tags": [
                    {"kind": k, "name": k.replace("_", " "), "value": str(t.get(k))}
                    for k in ("area", "pillar", "journey_stage")
                    # a tag says something or is left out: "unmapped" is no value
                    if not fmt.is_missing(t.get(k)) and str(t.get(k)).lower() not in ("unmapped", "unknown", "")
                ],
                "confidence": fmt.percent(t.get("taxonomy_confidence"))
                if not fmt.is_missing(t.get("taxonomy_confidence"))
                else "",
                "keywords": _keywords(t.get("keywords")),
                "verbatims": verbatims,
                "split": _split(priority),
                "spark": sparkline(vols, title=f"records per period, last {fmt.number(vols[-1]) if vols else 0}"),
                "spark_last": fmt.number(vols[-1]) if vols else "",
                "scores": theme_scores.get(str(tid), []) or theme_scores.get(fmt.text(t.get("label")), []),
                "segments": _top(recs, "segment"),
                "channels": _top(recs, "channel"),
                "stages": _top(recs, "journey_stage"),
                "records": _card_records(recs, quoted),
                "n_recs": len(recs),
                "sampled": bool(ctx.run.get("records_sampled")),
                "search": " ".join(
                    [str(fmt.text(t.get("label"), "")), str(fmt.text(t.get("parent_label"), ""))]
                    + [w for kw in _keywords(t.get("keywords")) for w in kw["words"]]
                ).lower(),
            }
        )
    hidden = [{"id": tid, "label": themes[tid]["label"]} for tid in order[MAX_THEME_CARDS:]]
    return {"cards": cards, "hidden": hidden, "emerging": _emerging(ctx, themes)}


def _emerging(ctx: ReportContext, themes: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    """New themes as the "emerging" signal found them (by status when it did not run), with any the
    night's "new theme" alerts name: the alerts' rule (:mod:`voc.impact.alerts`) also counts a theme
    a later night carved from older feedback, and a theme named in an alert must be in the list."""
    signal = ctx.signals.get("emerging")
    if signal is not None and not signal.empty and "kind" in signal:
        rows = signal.loc[signal["kind"].astype(str) == "new_theme"].to_dict("records")
        ids = [r["theme_id"] for r in rows]
    else:
        ids = [r["theme_id"] for r in ctx.themes.to_dict("records") if str(r.get("status")) == "emerging"]
    alerts = ctx.alerts
    if alerts is not None and not alerts.empty and "kind" in alerts:
        ids += alerts.loc[alerts["kind"].astype(str) == "new_theme", "theme_id"].dropna().astype(int).tolist()
    out = []
    for tid in list(dict.fromkeys(ids)):
        t = themes.get(tid)
        if t is None:
            continue
        out.append(
            {
                "id": tid,
                "label": t["label"],
                "born": fmt.date(t.get("born_at")),
                "n_records": fmt.number(t.get("n_records")),
            }
        )
    return out
