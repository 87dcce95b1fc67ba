"""Synthetic VoC frames with known truths for the impact tests.

Built here rather than loaded, so each test knows exactly what was planted:
- theme 0 "delivery delay": frequent, mildly negative, steady;
- theme 1 "billing error": steady in both segments, then a burst in the last day (a spike) in
  segment "smb" only;
- theme 2 "data breach": rare, every mentioner a detractor and most churn (low volume, high impact);
- theme 3 "app crashes": only in tickets and complaints, never in survey comments (blind spot);
- theme 4 "friendly staff": positive, promoters;
- silent detractors: NPS 0-3 with empty or "nothing to add" comments, concentrated in segment
  "smb" + channel "phone", where commenting detractors mostly talk about theme 0.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from voc.schemas import RECORD_COLUMNS

NOW = datetime(2024, 6, 30, 23, 0)
LABELS = {0: "delivery delay", 1: "billing error", 2: "data breach", 3: "app crashes", 4: "friendly staff"}
NOTHING = ["", "nothing to add", "brak uwag", "Ei kommentteja.", "нічого додати", "Keine Anmerkungen", "-", "n/a"]


def _record(i: int, rng: np.random.Generator, **kw) -> dict:
    base = {c: None for c in RECORD_COLUMNS}
    base.update(
        record_id=f"r{i}",
        source="synthetic",
        source_file="synthetic.csv",
        source_row=i + 1,
        source_type="survey",
        text="",
        text_hash=str(i),
        created_at=NOW - timedelta(days=float(rng.uniform(1.05, 34))),
        channel="email",
        language="en",
        score=None,
        score_type="nps",
        customer_id=f"c{i}",
        segment="consumer",
        journey_stage="usage",
        customer_value=float(rng.uniform(100, 1000)),
        churned=bool(rng.random() < 0.08),
        n_redactions=0,
        extra="{}",
    )
    base.update(kw)
    return base


def make_frames(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(records, record_themes, themes) with the truths listed in the module docstring."""
    rng = np.random.default_rng(seed)
    recs, mentions = [], []

    def add(theme: int | None, sentiment: float, **kw) -> None:
        i = len(recs)
        recs.append(_record(i, rng, **kw))
        if theme is not None:
            mentions.append(
                {"record_id": f"r{i}", "theme_id": theme, "is_primary": True, "n_units": 1, "sentiment": sentiment}
            )

    for _ in range(300):  # delivery delay: frequent, mixed scores
        add(
            0,
            float(rng.uniform(-0.8, 0.1)),
            text="parcel was late again",
            score=float(rng.integers(3, 10)),
            segment=str(rng.choice(["consumer", "smb"])),
            channel=str(rng.choice(["email", "phone"])),
        )
    for _ in range(60):  # billing error, steady baseline
        add(
            1,
            -0.5,
            text="wrong amount on my bill",
            score=float(rng.integers(4, 9)),
            segment=str(rng.choice(["consumer", "smb"])),
        )
    for _ in range(25):  # billing error burst within the last day
        add(
            1,
            -0.7,
            text="charged twice this month",
            score=3.0,
            segment="smb",
            created_at=NOW - timedelta(hours=float(rng.uniform(0.5, 20))),
        )
    for _ in range(12):  # data breach: rare, all detractors, most churn
        add(
            2,
            -0.9,
            text="my data was leaked",
            score=float(rng.integers(0, 3)),
            churned=bool(rng.random() < 0.8),
            customer_value=2000.0,
        )
    for _ in range(80):  # app crashes: only outside surveys
        add(
            3,
            -0.6,
            text="the app crashes",
            source_type=str(rng.choice(["ticket", "complaint"])),
            score=None,
            score_type=None,
        )
    for _ in range(150):  # friendly staff: promoters
        add(4, 0.8, text="staff were lovely", score=float(rng.integers(9, 11)))
    for _ in range(40):  # silent detractors in smb + phone
        add(
            None,
            0.0,
            text=str(rng.choice(NOTHING)),
            score=float(rng.integers(0, 4)),
            segment="smb",
            channel="phone",
            journey_stage="usage",
        )
    for _ in range(30):  # commenting detractors in smb + phone talk about delivery
        add(0, -0.7, text="late delivery, again", score=float(rng.integers(0, 5)), segment="smb", channel="phone")
    for _ in range(6):  # polite detractors
        add(4, 0.7, text="staff were nice but", score=2.0)
    for _ in range(6):  # at-risk promoters complaining about delivery
        add(0, -0.8, text="love you but delivery is slow", score=10.0)
    records = pd.DataFrame(recs)
    records["created_at"] = pd.to_datetime(records["created_at"])
    themes = pd.DataFrame(
        {
            "theme_id": list(LABELS),
            "label": list(LABELS.values()),
            "parent_id": None,
            "parent_label": None,
            "keywords": [
                '{"en": ["late", "parcel"]}',
                '{"en": ["bill", "charged"]}',
                '{"en": ["data", "leak"]}',
                '{"en": ["app", "crash"]}',
                '{"en": ["staff", "friendly"]}',
            ],
            "verbatims": "[]",
            "n_units": 0,
            "n_records": 0,
            "status": "active",
            "born_at": pd.Timestamp("2024-01-01"),
            "curated": False,
        }
    )
    return records, pd.DataFrame(mentions), themes


def make_drivers(records: pd.DataFrame, record_themes: pd.DataFrame) -> pd.DataFrame:
    """A minimal drivers table (NPS with/without, removal impact) computed from the frames."""
    scored = records.loc[records["score"].notna(), ["record_id", "score"]]
    nps = lambda s: 100.0 * ((s >= 9).mean() - (s <= 6).mean()) if len(s) else np.nan  # noqa: E731
    overall = nps(scored["score"])
    rows = []
    for theme_id, ids in record_themes.groupby("theme_id")["record_id"].unique().items():
        inside = scored["record_id"].isin(ids)
        rows.append(
            {
                "theme_id": theme_id,
                "n_mentions": int(inside.sum()),
                "score_with": nps(scored.loc[inside, "score"]),
                "score_without": nps(scored.loc[~inside, "score"]),
                "p_value": 0.001 if inside.sum() > 5 else 0.5,
                "nps_impact": nps(scored.loc[~inside, "score"]) - overall if inside.any() else np.nan,
            }
        )
    frame = pd.DataFrame(rows)
    frame["nps_impact"] = -(frame["nps_impact"].abs()) * np.sign(frame["score_without"] - frame["score_with"]).clip(
        lower=0
    )
    return frame
