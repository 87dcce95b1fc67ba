"""Turn a :class:`ReportContext` into the plain lists and dicts the template loops over.

All the judgement (what to show, in which order, how to format) lives here, in Python that can
be tested, so the template stays a dumb layout. Nothing here marks customer text as safe: the
template's autoescape handles every string that came from data.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

import pandas as pd

from voc.impact import has_customer_ids
from voc.report import formatting as fmt
from voc.report.context import SIGNAL_NAMES, ReportContext
from voc.report.view_overview import overview_view
from voc.report.view_themes import priorities_view, themes_view

#: Rows shown per "what customers don't say" table and quarantine table.
MAX_TABLE_ROWS: Final = 50

SIGNAL_TITLES: Final[dict[str, str]] = {
    "silent_detractors": "Silent detractors",
    "score_text_mismatch": "Score and words disagree",
    "unvoiced_high_impact": "Unvoiced high-impact themes",
    "survey_blind_spots": "Survey blind spots",
    "non_responders": "Non-responders",
    "emerging": "Emerging themes and the unassigned pool",
}


# --- generic tables --------------------------------------------------------------------------


def _column_formatter(name: str, values: pd.Series):
    """Shares and rates read as percentages; everything else through :func:`fmt.cell`."""
    lowered = str(name).lower()
    numeric = pd.to_numeric(values, errors="coerce")
    if lowered.endswith("_pct") or lowered.startswith("pct_"):
        return lambda v: fmt.percent(v, 1, fraction=False) if fmt.as_float(v) is not None else fmt.cell(v)
    if ("share" in lowered or "rate" in lowered) and numeric.dropna().between(0, 1).all():
        return lambda v: fmt.percent(v, 1) if fmt.as_float(v) is not None else fmt.cell(v)
    return fmt.cell


def table(frame: pd.DataFrame | None, *, limit: int = MAX_TABLE_ROWS, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """Any DataFrame as header + formatted rows (first ``limit``), for the template's table macro."""
    if frame is None or frame.empty:
        return {"columns": [], "rows": [], "n": 0, "shown": 0}
    cols = [c for c in frame.columns if c not in drop]
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in cols}
    shown = frame[cols].head(limit)
    formatters = [_column_formatter(c, shown[c]) for c in cols]
    rows = [
        [
            {
                "text": f(v),
                "num": numeric[c],
                "sort": fmt.sort_key(v),
                "href": f"#theme-{int(v)}" if c == "theme_id" and fmt.as_float(v) is not None else None,
            }
            for c, f, v in zip(cols, formatters, rec)
        ]
        for rec in shown.itertuples(index=False, name=None)
    ]
    # Long text columns get room to wrap; otherwise numbers (which never wrap) squeeze them.
    longest = {c: max((len(r[i]["text"]) for r in rows), default=0) for i, c in enumerate(cols)}
    return {
        "columns": [{"name": fmt.humanize(c), "num": numeric[c], "wide": longest[c] > 40} for c in cols],
        "rows": rows,
        "n": len(frame),
        "shown": min(limit, len(frame)),
    }


#: What each signal needs from the input, said when a night lacks it (instead of an empty table).
SIGNAL_NEEDS: Final[dict[str, tuple[str, str]]] = {
    "silent_detractors": ("scores", "Needs survey scores (NPS, CSAT, CES or stars) in the input."),
    "score_text_mismatch": ("scores", "Needs survey scores beside the comments."),
    "score_text_disagreement": ("scores", "Needs survey scores beside the comments."),
    "unvoiced_high_impact": ("scores", "Needs survey scores or churn flags per customer."),
    "survey_blind_spots": (
        "source_types",
        "Needs survey answers and other feedback (tickets, complaints, reviews) marked by a source type column.",
    ),
    "non_responders": ("customers", "Needs a customer list (settings: customers_path)."),
}


def _night_has(ctx: ReportContext) -> set[str]:
    """Which kinds of input this night's records carry (scores, several source types, customers)."""
    records = ctx.records
    found = set()
    if "score" in records and records["score"].notna().any():
        found.add("scores")
    if "churned" in records and records["churned"].notna().any():
        found.add("scores")  # churn is what the unvoiced check reads without scores
    if "source_type" in records and records["source_type"].dropna().astype(str).nunique() > 1:
        found.add("source_types")
    if has_customer_ids(records):
        found.add("customers")
    return found


def _signals(ctx: ReportContext) -> list[dict[str, Any]]:
    names = list(SIGNAL_NAMES) + [n for n in ctx.signals if n not in SIGNAL_NAMES]
    has = _night_has(ctx)
    out = []
    for n in names:
        need, sentence = SIGNAL_NEEDS.get(n, ("", ""))
        rows = table(ctx.signals.get(n))
        empty = "Nothing found tonight." if not need or need in has else sentence
        out.append(
            {
                "name": n,
                "anchor": f"signal-{n}",
                "title": SIGNAL_TITLES.get(n, fmt.humanize(n)),
                "note": ctx.signal_notes.get(n, "") if not need or need in has else "",
                "table": rows,
                "empty": empty,
                "missing_input": bool(need) and need not in has and not rows["rows"],
            }
        )
    return out


def _alerts(ctx: ReportContext) -> dict[str, Any]:
    alerts = ctx.alerts
    rows = []
    if alerts is not None and not alerts.empty:
        if "created_at" in alerts:
            alerts = alerts.sort_values("created_at", ascending=False, kind="stable")
        for r in alerts.to_dict("records"):
            rows.append(
                {
                    "kind": str(fmt.text(r.get("kind"), "alert")),
                    "kind_label": fmt.humanize(str(fmt.text(r.get("kind"), "alert"))),
                    "theme_id": None if fmt.is_missing(r.get("theme_id")) else r.get("theme_id"),
                    "theme": fmt.cell(r.get("theme_label")),
                    "segment": fmt.cell(r.get("segment")),
                    "observed": fmt.cell(r.get("observed")),
                    "expected": fmt.cell(r.get("expected")),
                    "p_value": fmt.p_value(r.get("p_value")),
                    "message": fmt.cell(r.get("message")),
                    "created": fmt.datetime(r.get("created_at")),
                }
            )
    return {"rows": rows}


def _cx(ctx: ReportContext) -> list[dict[str, Any]]:
    cx = ctx.cx_scores
    if cx is None or cx.empty:
        return []
    out = []
    for level, part in cx.groupby("level", sort=False):
        out.append(
            {
                "level": {"area": "CX areas", "pillar": "CX pillars"}.get(str(level), fmt.humanize(str(level)) + "s"),
                "rows": [
                    {
                        "name": r["name"],
                        "score": fmt.percent(r["score_pct"], fraction=False)
                        if fmt.as_float(r["score_pct"]) is not None
                        else "no data",
                        "pct": max(0.0, min(100.0, fmt.as_float(r["score_pct"]) or 0.0)),
                        "n_themes": fmt.number(r.get("n_themes")),
                        "n_mentions": fmt.number(r.get("n_mentions")),
                    }
                    for r in part.sort_values("score_pct", ascending=False).to_dict("records")
                ],
            }
        )
    return out


def _quality(ctx: ReportContext) -> dict[str, Any]:
    q = ctx.quality or {}
    quarantined = q.get("quarantined")
    if not isinstance(quarantined, pd.DataFrame):
        quarantined = pd.DataFrame(columns=["source_file", "source_row", "column", "reason"])
    langs = q.get("languages") or {}
    if isinstance(langs, pd.Series):
        langs = langs.to_dict()
    top = max((int(v) for v in langs.values()), default=0) or 1
    reasons = (
        Counter(quarantined["reason"].astype(str).str.replace(r"'.*'", "'…'", regex=True))
        if "reason" in quarantined and not quarantined.empty
        else Counter()
    )
    # every row read is kept, a dropped duplicate or quarantined: the first four add up
    kpis = [
        (label, q.get(key))
        for label, key in (
            ("Rows read", "rows_read"),
            ("Rows kept", "rows_kept"),
            ("Duplicates dropped", "duplicates_dropped"),
        )
    ]
    kpis.append(("Rows quarantined", q.get("quarantined_rows", len(quarantined))))
    kpis += [
        (label, q.get(key))
        for label, key in (
            ("New records", "new_records"),
            ("New versions of edited records", "edited"),
            ("Already stored", "already_stored"),
            ("Score-only answers", "score_only"),
            ("Redactions made", "redactions"),
            ("Redacted field values", "field_redactions"),
        )
        if q.get(key) is not None
    ]
    return {
        "has": bool(q),
        "kpis": [{"label": k, "value": fmt.number(v)} for k, v in kpis],
        "languages": [
            {"name": fmt.language(k), "code": k, "n": fmt.number(v), "pct": round(100 * int(v) / top, 1)}
            for k, v in sorted(langs.items(), key=lambda kv: -int(kv[1]))
        ],
        "reasons": [{"reason": r, "n": fmt.number(n)} for r, n in reasons.most_common(10)],
        "quarantine": table(quarantined, drop=("raw",)),
    }


_RUN_SHOWN: Final = frozenset({"run_id", "night", "started_at", "finished_at", "settings", "models", "theme_counts"})


def _run(ctx: ReportContext) -> dict[str, Any]:
    run = ctx.run
    settings = run.get("settings") or {}
    models = run.get("models") or {}
    # Any other facts the pipeline records about the run are shown too, not dropped.
    facts = {k: v for k, v in run.items() if k not in _RUN_SHOWN}
    return {
        "run_id": str(run.get("run_id", "")),
        "night": fmt.date(run.get("night")),
        "started": fmt.datetime(run.get("started_at")),
        "finished": fmt.datetime(run.get("finished_at")),
        "facts": [{"key": fmt.humanize(str(k)), "value": fmt.cell(v)} for k, v in facts.items()],
        "settings": [{"key": str(k), "value": fmt.cell(v)} for k, v in settings.items()],
        "models": [{"key": str(k), "value": fmt.cell(v)} for k, v in models.items()],
    }


def build_view(ctx: ReportContext) -> dict[str, Any]:
    """Everything the template needs, as plain data (figures are added by :mod:`voc.report.html`)."""
    currency = str((ctx.run.get("settings") or {}).get("currency", "EUR"))
    return {
        "run": _run(ctx),
        "overview": overview_view(ctx),
        "priorities": priorities_view(ctx, currency),
        "themes": themes_view(ctx),
        "signals": _signals(ctx),
        "alerts": _alerts(ctx),
        "cx": _cx(ctx),
        "quality": _quality(ctx),
        "currency": currency,
        "cx_note": ctx.signal_notes.get("cx_scores", ""),
    }
