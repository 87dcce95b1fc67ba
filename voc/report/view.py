"""Turn a :class:`ReportContext` into the plain lists and dicts the template loops over.

All the judgement (what to show, in which order, how to format) lives here, in Python that can
be tested, so the template stays a dumb layout. Nothing here marks customer text as safe: the
template's autoescape handles every string that came from data.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Final

import pandas as pd

from voc.report import formatting as fmt
from voc.report.context import SIGNAL_NAMES, ReportContext
from voc.report.figures import METRIC_LABELS, overall_metrics
from voc.report.svg import sparkline

#: Verbatims longer than this are collapsed behind a <details> showing their start.
LONG_VERBATIM: Final = 280
#: Theme cards shown; the rest are listed by name so nothing is silently dropped.
MAX_THEME_CARDS: Final = 80
#: Rows shown per "what customers don't say" table and quarantine table.
MAX_TABLE_ROWS: Final = 50
#: Records listed per theme card.
MAX_CARD_RECORDS: Final = 12

SIGNAL_TITLES: Final[dict[str, str]] = {
    "silent_detractors": "Silent detractors",
    "score_text_mismatch": "Score and words disagree",
    "unvoiced_high_impact": "Unvoiced high-impact themes",
    "survey_blind_spots": "Survey blind spots",
    "non_responders": "Non-responders",
    "emerging": "Emerging themes and the unassigned pool",
}

CHANGE_LABELS: Final[dict[str, str]] = {"nps_delta": "NPS change", "new_themes": "New themes",
                                        "retired_themes": "Retired themes"}


def _json_obj(text: Any, default: Any) -> Any:
    """Parse a JSON column value; a dict/list already parsed is passed through."""
    if isinstance(text, (dict, list)):
        return text
    if fmt.is_missing(text) or not str(text).strip():
        return default
    try:
        return json.loads(str(text))
    except (TypeError, ValueError):
        return default


def _counts(records: pd.DataFrame, column: str, *, label=None) -> list[dict[str, Any]]:
    if column not in records or records.empty:
        return []
    counts = records[column].fillna(fmt.DASH).astype(str).value_counts()
    total = int(counts.sum())
    return [
        {"name": label(k) if label else k, "n": fmt.number(v), "share": fmt.percent(v / total),
         "pct": round(100 * v / total, 1)}
        for k, v in counts.items()
    ]


# --- overview --------------------------------------------------------------------------------

def _headline(metrics: pd.DataFrame) -> list[dict[str, Any]]:
    """Latest overall value per metric, with its interval and the change from the period before."""
    overall = overall_metrics(metrics)
    out = []
    for name in [m for m in METRIC_LABELS if m in set(overall["metric"])]:
        part = overall.loc[overall["metric"] == name]
        window = part.loc[part["period_start"].isna()]
        periods = part.loc[part["period_start"].notna()]
        row = window.iloc[-1] if not window.empty else periods.iloc[-1]
        delta = None
        if len(periods) >= 2:
            delta = fmt.as_float(periods["value"].iloc[-1])
            prev = fmt.as_float(periods["value"].iloc[-2])
            delta = None if delta is None or prev is None else delta - prev
        digits = 2 if name in ("ces", "stars") else 1
        out.append({
            "metric": name,
            "label": METRIC_LABELS[name],
            "value": fmt.number(row["value"], digits),
            "interval": (f"{fmt.number(row.get('ci_low'), digits)} – {fmt.number(row.get('ci_high'), digits)}"
                         if fmt.as_float(row.get("ci_low")) is not None else ""),
            "n": fmt.number(row.get("n")),
            "small": bool(row.get("small_sample", False) is True),
            "delta": fmt.signed(delta, digits) if delta is not None else "",
            "delta_sign": 0 if delta is None or abs(delta) < 1e-9 else (1 if delta > 0 else -1),
            "scope": "whole window" if not window.empty else f"period from {fmt.date(row['period_start'])}",
        })
    return out


def _segment_metrics(metrics: pd.DataFrame) -> list[dict[str, Any]]:
    """Per-segment metric values for the most recent period (or the whole window)."""
    if metrics is None or metrics.empty:
        return []
    dim = metrics["dimension"].fillna("").astype(str).str.lower()
    part = metrics.loc[~dim.isin({"all", "overall", "total", ""})].copy()
    if part.empty:
        return []
    part["period_start"] = pd.to_datetime(part["period_start"], errors="coerce")
    latest = part["period_start"].max()
    part = part.loc[part["period_start"].isna()] if part["period_start"].isna().any() else \
        part.loc[part["period_start"] == latest]
    rows = []
    for r in part.sort_values(["metric", "dimension", "group"]).itertuples(index=False):
        digits = 2 if r.metric in ("ces", "stars") else 1
        rows.append({
            "metric": METRIC_LABELS.get(r.metric, r.metric), "dimension": r.dimension, "group": r.group,
            "n": fmt.number(r.n), "value": fmt.number(r.value, digits),
            "ci": (f"{fmt.number(getattr(r, 'ci_low', None), digits)} – {fmt.number(getattr(r, 'ci_high', None), digits)}"
                   if fmt.as_float(getattr(r, "ci_low", None)) is not None else fmt.DASH),
            "small": bool(getattr(r, "small_sample", False) is True),
        })
    return rows


def _overview(ctx: ReportContext) -> dict[str, Any]:
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
            {"label": "Active themes", "value": fmt.number(int((status != "retired").sum()))},
            {"label": "Languages", "value": fmt.number(records["language"].nunique() if "language" in records else None)},
        ],
        "headline": _headline(ctx.metrics),
        "by": [
            {"title": "Source", "rows": _counts(records, "source")},
            {"title": "Channel", "rows": _counts(records, "channel")},
            {"title": "Language", "rows": _counts(records, "language", label=fmt.language)},
            {"title": "Type", "rows": _counts(records, "source_type")},
        ],
        "segments": _segment_metrics(ctx.metrics),
        "changes": [{"label": CHANGE_LABELS.get(k, fmt.humanize(k)), "value": fmt.cell(v)}
                    for k, v in ctx.changes.items()],
        "sampled": bool(ctx.run.get("records_sampled")),
        "n_shown": fmt.number(len(records)),
    }


# --- priorities ------------------------------------------------------------------------------

def _sentiment_class(value: Any) -> str:
    v = fmt.as_float(value)
    if v is None:
        return "neu"
    return "neg" if v < -0.15 else ("pos" if v > 0.15 else "neu")


def _theme_rows(ctx: ReportContext) -> dict[Any, dict[str, Any]]:
    return {r["theme_id"]: r for r in ctx.themes.drop_duplicates("theme_id").to_dict("records")}


def _priorities(ctx: ReportContext, currency: str) -> dict[str, Any]:
    pr = ctx.priorities.sort_values("rank", kind="stable")
    themes = _theme_rows(ctx)
    rows = []
    for r in pr.to_dict("records"):
        tid = r.get("theme_id")
        theme = themes.get(tid, {})
        trend = fmt.as_float(r.get("trend_pct"))
        rows.append({
            "rank": int(r["rank"]),
            "theme_id": tid,
            "label": r.get("theme_label"),
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
            "sentiment_class": _sentiment_class(r.get("mean_sentiment")),
            "nps_impact": fmt.signed(r.get("nps_impact"), 1),
            "churn": fmt.ratio(r.get("churn_uplift")),
            "revenue": fmt.money(r.get("revenue_at_risk"), currency),
            "cost": fmt.money(r.get("cost_to_serve"), currency),
            "why": r.get("why") or "",
            "sort": {k: fmt.sort_key(r.get(k)) for k in (
                "rank", "theme_label", "priority_score", "n_records", "n_customers", "share", "trend_pct",
                "negativity", "mean_sentiment", "nps_impact", "churn_uplift", "revenue_at_risk", "cost_to_serve")},
        })
    # Columns that hold nothing for any row (no churn data, no values) are left out.
    has = {k: bool(pr[k].notna().any()) if k in pr else False for k in (
        "n_customers", "trend_pct", "nps_impact", "churn_uplift", "revenue_at_risk", "cost_to_serve")}
    areas = sorted({r["area"] for r in rows if r["area"]})
    return {"rows": rows, "has": has, "areas": areas}


# --- theme cards -----------------------------------------------------------------------------

def _verbatims(raw: Any) -> list[dict[str, Any]]:
    """Group the theme's representative quotes by language, long ones marked for collapsing."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in _json_obj(raw, []):
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict):
            continue
        text = str(item.get("text", ""))
        lang = str(item.get("language") or "und")
        groups.setdefault(lang, []).append({
            "record_id": None if fmt.is_missing(item.get("record_id")) else str(item.get("record_id")),
            "text": text,
            "long": len(text) > LONG_VERBATIM,
            "short": text[: LONG_VERBATIM - 80].rstrip() + "…" if len(text) > LONG_VERBATIM else text,
        })
    return [{"language": lang, "name": fmt.language(lang), "items": items} for lang, items in groups.items()]


def _keywords(raw: Any) -> list[dict[str, Any]]:
    data = _json_obj(raw, {})
    if isinstance(data, list):
        data = {"und": data}
    return [{"language": k, "name": fmt.language(k), "words": [str(w) for w in v]}
            for k, v in data.items() if isinstance(v, list) and v]


def _split(theme: dict[str, Any], recs: pd.DataFrame) -> dict[str, Any]:
    """Sentiment split from the theme table when given, else counted from its records."""
    if all(not fmt.is_missing(theme.get(k)) for k in ("n_positive", "n_neutral", "n_negative")):
        counts = {k: int(theme[f"n_{k}"]) for k in ("positive", "neutral", "negative")}
    elif "sentiment_label" in recs and not recs.empty:
        vc = recs["sentiment_label"].astype(str).value_counts()
        counts = {k: int(vc.get(k, 0)) for k in ("positive", "neutral", "negative")}
    else:
        return {}
    total = sum(counts.values())
    if total == 0:
        return {}
    return {k: {"n": v, "pct": round(100 * v / total, 1)} for k, v in counts.items()} | {"total": total}


def _top(recs: pd.DataFrame, column: str, k: int = 5, *, label=None) -> list[dict[str, str]]:
    if column not in recs or recs.empty:
        return []
    vc = recs[column].dropna().astype(str).value_counts().head(k)
    return [{"name": label(n) if label else n, "n": fmt.number(v)} for n, v in vc.items()]


def _card_records(recs: pd.DataFrame, quoted: list[str]) -> list[dict[str, Any]]:
    """Latest records of the theme, with the quoted ones first so every quote links to its row."""
    if recs.empty:
        return []
    if "created_at" in recs:
        recs = recs.sort_values("created_at", ascending=False, kind="stable")
    is_quoted = recs["record_id"].astype(str).isin(quoted)
    recs = pd.concat([recs.loc[is_quoted], recs.loc[~is_quoted]])
    out = []
    for r in recs.head(max(MAX_CARD_RECORDS, int(is_quoted.sum()))).to_dict("records"):
        text = str(r.get("text") or "")
        out.append({
            "record_id": str(r["record_id"]),
            "date": fmt.date(r.get("created_at")),
            "channel": fmt.cell(r.get("channel")),
            "language": str(r.get("language") or "und"),
            "score": (f"{fmt.cell(r.get('score'))} {r.get('score_type') or ''}".strip()
                      if not fmt.is_missing(r.get("score")) else fmt.DASH),
            "sentiment_class": _sentiment_class(r.get("sentiment")),
            "sentiment": fmt.signed(r.get("sentiment"), 2),
            "text": text if len(text) <= LONG_VERBATIM else text[:LONG_VERBATIM] + "…",
        })
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
    table = vol.pivot_table(index="period_start", columns="theme_id", values="n", aggfunc="sum", fill_value=0)
    table = table.sort_index()
    return {tid: table[tid].astype(float).tolist() for tid in table.columns}


def _themes(ctx: ReportContext) -> dict[str, Any]:
    themes = _theme_rows(ctx)
    ranks = dict(zip(ctx.priorities["theme_id"], ctx.priorities["rank"]))
    whys = dict(zip(ctx.priorities["theme_id"], ctx.priorities["why"]))
    volumes = _volumes(ctx)
    by_theme = dict(tuple(ctx.records.groupby("theme_id", sort=False))) if not ctx.records.empty else {}
    order = _theme_order(ctx)
    cards = []
    for tid in order[:MAX_THEME_CARDS]:
        t = themes[tid]
        recs = by_theme.get(tid, ctx.records.iloc[0:0])
        vols = volumes.get(tid, [])
        verbatims = _verbatims(t.get("verbatims"))
        quoted = [v["record_id"] for g in verbatims for v in g["items"] if v["record_id"]]
        cards.append({
            "id": tid,
            "anchor": f"theme-{tid}",
            "label": t.get("label"),
            "parent": None if fmt.is_missing(t.get("parent_label")) else t.get("parent_label"),
            "status": str(t.get("status") or "active"),
            "curated": bool(t.get("curated") is True),
            "rank": ranks.get(tid),
            "why": whys.get(tid),
            "n_records": fmt.number(t.get("n_records")),
            "n_units": fmt.number(t.get("n_units")),
            "born": fmt.date(t.get("born_at")),
            "tags": [{"kind": k, "name": k.replace("_", " "), "value": str(t.get(k))}
                     for k in ("area", "pillar", "journey_stage") if not fmt.is_missing(t.get(k))],
            "confidence": fmt.percent(t.get("taxonomy_confidence")) if not fmt.is_missing(t.get("taxonomy_confidence")) else "",
            "keywords": _keywords(t.get("keywords")),
            "verbatims": verbatims,
            "split": _split(t, recs),
            "spark": sparkline(vols, title=f"records per period, last {fmt.number(vols[-1]) if vols else 0}"),
            "spark_last": fmt.number(vols[-1]) if vols else "",
            "segments": _top(recs, "segment"),
            "channels": _top(recs, "channel"),
            "stages": _top(recs, "journey_stage"),
            "records": _card_records(recs, quoted),
            "n_recs": len(recs),
            "search": " ".join(
                [str(t.get("label") or ""), str(t.get("parent_label") or "")]
                + [w for kw in _keywords(t.get("keywords")) for w in kw["words"]]
            ).lower(),
        })
    hidden = [{"id": tid, "label": themes[tid]["label"]} for tid in order[MAX_THEME_CARDS:]]
    emerging = [{"id": r["theme_id"], "label": r["label"], "born": fmt.date(r.get("born_at")),
                 "n_records": fmt.number(r.get("n_records"))}
                for r in ctx.themes.to_dict("records") if str(r.get("status")) == "emerging"]
    return {"cards": cards, "hidden": hidden, "emerging": emerging}


# --- generic tables --------------------------------------------------------------------------

def table(frame: pd.DataFrame | None, *, limit: int = MAX_TABLE_ROWS, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """Any DataFrame as header + formatted rows (first ``limit``), for the template's table macro."""
    if frame is None or frame.empty:
        return {"columns": [], "rows": [], "n": 0, "shown": 0}
    cols = [c for c in frame.columns if c not in drop]
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in cols}
    rows = [[{"text": fmt.cell(v), "num": numeric[c], "sort": fmt.sort_key(v)} for c, v in zip(cols, rec)]
            for rec in frame[cols].head(limit).itertuples(index=False, name=None)]
    return {"columns": [{"name": fmt.humanize(c), "num": numeric[c]} for c in cols], "rows": rows,
            "n": len(frame), "shown": min(limit, len(frame))}


def _signals(ctx: ReportContext) -> list[dict[str, Any]]:
    names = list(SIGNAL_NAMES) + [n for n in ctx.signals if n not in SIGNAL_NAMES]
    return [{"name": n, "anchor": f"signal-{n}", "title": SIGNAL_TITLES.get(n, fmt.humanize(n)),
             "note": ctx.signal_notes.get(n, ""), "table": table(ctx.signals.get(n))} for n in names]


def _alerts(ctx: ReportContext) -> dict[str, Any]:
    alerts = ctx.alerts
    rows = []
    if alerts is not None and not alerts.empty:
        if "created_at" in alerts:
            alerts = alerts.sort_values("created_at", ascending=False, kind="stable")
        for r in alerts.to_dict("records"):
            rows.append({
                "kind": str(r.get("kind") or "alert"), "kind_label": fmt.humanize(str(r.get("kind") or "alert")),
                "theme_id": None if fmt.is_missing(r.get("theme_id")) else r.get("theme_id"),
                "theme": fmt.cell(r.get("theme_label")), "segment": fmt.cell(r.get("segment")),
                "observed": fmt.cell(r.get("observed")), "expected": fmt.cell(r.get("expected")),
                "p_value": fmt.p_value(r.get("p_value")), "message": fmt.cell(r.get("message")),
                "created": fmt.datetime(r.get("created_at")),
            })
    return {"rows": rows}


def _cx(ctx: ReportContext) -> list[dict[str, Any]]:
    cx = ctx.cx_scores
    if cx is None or cx.empty:
        return []
    out = []
    for level, part in cx.groupby("level", sort=False):
        out.append({"level": fmt.humanize(str(level)), "rows": [
            {"name": r["name"], "score": fmt.percent(r["score_pct"], fraction=False),
             "pct": max(0.0, min(100.0, fmt.as_float(r["score_pct"]) or 0.0)),
             "n_themes": fmt.number(r.get("n_themes")), "n_mentions": fmt.number(r.get("n_mentions"))}
            for r in part.sort_values("score_pct", ascending=False).to_dict("records")]})
    return out


def _quality(ctx: ReportContext) -> dict[str, Any]:
    q = ctx.quality or {}
    quarantined = q.get("quarantined")
    if not isinstance(quarantined, pd.DataFrame):
        quarantined = pd.DataFrame(columns=["source_file", "source_row", "column", "reason"])
    langs = q.get("languages") or {}
    if isinstance(langs, pd.Series):
        langs = langs.to_dict()
    total = sum(int(v) for v in langs.values()) or 1
    reasons = (Counter(quarantined["reason"].astype(str).str.replace(r"'.*'", "'…'", regex=True))
               if "reason" in quarantined and not quarantined.empty else Counter())
    kpis = [(label, q.get(key)) for label, key in (("Rows read", "rows_read"), ("Rows kept", "rows_kept"),
                                                   ("Duplicates dropped", "duplicates_dropped"),
                                                   ("Redactions made", "redactions"))]
    kpis.append(("Rows quarantined", len(quarantined)))
    return {
        "has": bool(q),
        "kpis": [{"label": k, "value": fmt.number(v)} for k, v in kpis],
        "languages": [{"name": fmt.language(k), "code": k, "n": fmt.number(v), "pct": round(100 * int(v) / total, 1)}
                      for k, v in sorted(langs.items(), key=lambda kv: -int(kv[1]))],
        "reasons": [{"reason": r, "n": fmt.number(n)} for r, n in reasons.most_common(10)],
        "quarantine": table(quarantined, drop=("raw",)),
    }


def _run(ctx: ReportContext) -> dict[str, Any]:
    run = ctx.run
    settings = run.get("settings") or {}
    models = run.get("models") or {}
    return {
        "run_id": str(run.get("run_id", "")),
        "night": fmt.date(run.get("night")),
        "started": fmt.datetime(run.get("started_at")),
        "finished": fmt.datetime(run.get("finished_at")),
        "settings": [{"key": str(k), "value": fmt.cell(v)} for k, v in settings.items()],
        "models": [{"key": str(k), "value": fmt.cell(v)} for k, v in models.items()],
    }


def build_view(ctx: ReportContext) -> dict[str, Any]:
    """Everything the template needs, as plain data (figures are added by :mod:`voc.report.html`)."""
    currency = str((ctx.run.get("settings") or {}).get("currency", "EUR"))
    return {
        "run": _run(ctx),
        "overview": _overview(ctx),
        "priorities": _priorities(ctx, currency),
        "themes": _themes(ctx),
        "signals": _signals(ctx),
        "alerts": _alerts(ctx),
        "cx": _cx(ctx),
        "quality": _quality(ctx),
        "currency": currency,
        "cx_note": ctx.signal_notes.get("cx_scores", ""),
    }
