"""Seeded multilingual sample of customer feedback with planted, recorded scenarios.

The sample is a fictional online retailer with deliveries, an app, billing, a hotline, returns
and a new parcel-locker service, selling in Poland, Finland, Ukraine, the UK and Germany. Every
text is composed from the hand-written phrase banks in :mod:`voc.sample.phrases`, so the true
themes of each record are known, and scenarios a Voice-of-Customer pipeline must find are planted
on purpose and written to ``planted.json`` beside the data (see ``data/README.md``).

Everything is drawn from one ``numpy.random.Generator`` seeded by ``seed``, in a fixed order, so
the same arguments give byte-identical files on any machine.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from voc.sample.catalog import THEME_BY_ID
from voc.sample.phrases import check_banks
from voc.sample.records import (
    EMERGING_DAYS,
    SPIKE_DAYS,
    SPIKE_FACTOR,
    RecordBuilder,
    SampleRecord,
)
from voc.sample.summary import summarise

#: Last day of the sample when none is given: fixed so output never depends on the clock.
DEFAULT_END_DATE: Final = dt.date(2026, 11, 23)
GENERATOR_VERSION: Final = 1

BASE_CHURN: Final[dict[str, float]] = {"consumer": 0.10, "small_business": 0.08, "premium": 0.05}
#: customers who never answer churn more: they are the quietly disengaged
NON_RESPONDER_CHURN: Final = 3.0
SILENT_DETRACTOR_CHURN: Final = 1.8

SILENT_DETRACTOR_TARGET: Final[dict[str, str]] = {"segment": "small_business", "journey_stage": "billing"}
#: share of planted silent detractors placed in the target segment and stage
SILENT_DETRACTOR_CONCENTRATION: Final = 0.7

#: attempts to draw a record whose text does not repeat the same customer's in the same source
_REDRAWS: Final = 20

FEEDBACK_COLUMNS: Final[tuple[str, ...]] = (
    "feedback_id",
    "created_at",
    "source_type",
    "channel",
    "language",
    "text",
    "score",
    "score_type",
    "customer_id",
    "segment",
    "journey_stage",
    "market",
    "customer_value",
    "churned",
)
CUSTOMER_COLUMNS: Final[tuple[str, ...]] = (
    "customer_id",
    "segment",
    "market",
    "language",
    "customer_value",
    "churned",
    "responded",
)


def _plan_kinds(rng: np.random.Generator, n: int) -> list[str]:
    counts = {
        "silent_detractor": round(0.05 * n),
        "silent": round(0.04 * n),
        "polite_detractor": max(6, n // 300),
        "at_risk_promoter": max(6, n // 300),
    }
    kinds = [k for k, c in counts.items() for _ in range(c)]
    kinds += ["normal"] * (n - len(kinds))
    return [kinds[i] for i in rng.permutation(n)]


def _draw_record(b: RecordBuilder, kind: str, created: dt.datetime, languages: np.ndarray) -> SampleRecord:
    if kind == "silent_detractor":
        targeted = b.rng.random() < SILENT_DETRACTOR_CONCENTRATION
        customer = b.customer(small_business=targeted)
        stage = SILENT_DETRACTOR_TARGET["journey_stage"] if targeted else None
        return b.silent(created, languages[customer], customer, detractor=True, stage=stage)
    customer = b.customer()
    language = languages[customer]
    if kind == "silent":
        return b.silent(created, language, customer, detractor=False, stage=None)
    if kind == "polite_detractor":
        return b.polite_detractor(created, language, customer)
    if kind == "at_risk_promoter":
        return b.at_risk_promoter(created, language, customer)
    return b.normal(created, (created.date() - b.start_date).days, language, customer)


def _dedup_key(r: SampleRecord) -> tuple[int, str, str]:
    # what an ingest step compares: customer, source and the normalised, lower-cased words
    return r.customer, r.source_type, " ".join(unicodedata.normalize("NFC", r.text).lower().split())


def _build_records(b: RecordBuilder, customers: pd.DataFrame, n: int) -> list[SampleRecord]:
    """Draw ``n`` records; a text that would repeat one of the same customer and source by
    chance is drawn again, so the only exact duplicates are the planted ones."""
    languages = customers["language"].to_numpy()
    records: list[SampleRecord] = []
    seen: set[tuple[int, str, str]] = set()
    for kind, created in zip(_plan_kinds(b.rng, n), b.timestamps(n)):
        for _ in range(_REDRAWS):
            record = _draw_record(b, kind, created, languages)
            key = _dedup_key(record)
            if not record.text or key not in seen:
                break
        seen.add(key)
        records.append(record)
    return records


def _add_duplicates(rng: np.random.Generator, records: list[SampleRecord], n_dup: int, end: dt.datetime) -> None:
    """Re-send a few records: same customer, source and words a little later (double submit)."""
    pool = [i for i, r in enumerate(records) if r.text and not r.tags]
    for i in sorted(rng.choice(len(pool), size=n_dup, replace=False)):
        original = records[pool[int(i)]]
        later = original.created + dt.timedelta(minutes=int(rng.integers(1, 90)))
        created = later if later <= end else original.created - dt.timedelta(minutes=int(rng.integers(1, 90)))
        copy = SampleRecord(
            created,
            original.customer,
            original.source_type,
            original.channel,
            original.text,
            original.score,
            original.score_type,
            original.journey_stage,
            list(original.themes),
            ["duplicate"],
            list(original.pii),
        )
        copy.duplicate_of = pool[int(i)]
        original.tags.append("duplicated")
        records.append(copy)


_BAD_DATES: Final = ("2026-02-30T14:10:00", "32.10.2026", "not a date", "2026-13-05T09:00:00")
_OUT_OF_SCALE: Final[dict[str, tuple[int, ...]]] = {"nps": (11, -1), "csat": (6, 0), "ces": (8, 0), "stars": (6, 0)}


def _add_bad_rows(rng: np.random.Generator, records: list[SampleRecord], n_bad: int) -> list[dict[str, Any]]:
    """Corrupt a few ordinary records the way exports really break, and say how."""
    candidates = [r for r in records if not r.tags and r.text]
    picked = [
        candidates[int(i)] for i in rng.choice(len(candidates), size=min(n_bad * 4, len(candidates)), replace=False)
    ]
    n_date, n_score = n_bad - 2 * (n_bad // 3), n_bad // 3
    bad: list[dict[str, Any]] = []
    scored = [r for r in picked if r.score_type is not None]
    unscored = [r for r in picked if r.score_type is None]
    for r in unscored[: n_bad // 3]:
        r.text, r.themes, r.pii = "", [], []
        bad.append({"record": r, "column": "text", "reason": "empty text and no score"})
    for j, r in enumerate(scored[:n_score]):
        r.score = float(_OUT_OF_SCALE[r.score_type][j % 2])
        bad.append({"record": r, "column": "score", "reason": f"score {r.score:g} outside {r.score_type} scale"})
    used = {id(x["record"]) for x in bad}
    rest = [r for r in picked if id(r) not in used]
    for j, r in enumerate(rest[:n_date]):
        r.created_text = _BAD_DATES[j % len(_BAD_DATES)]
        bad.append({"record": r, "column": "created_at", "reason": f"unparseable date {r.created_text!r}"})
    for item in bad:
        item["record"].tags.append("bad_row")
    return bad


def _assign_churn(rng: np.random.Generator, customers: pd.DataFrame, records: list[SampleRecord]) -> None:
    """Churn per customer: segment base rate times the multipliers of every theme raised."""
    n = len(customers)
    factor = np.ones(n)
    responded = np.zeros(n, dtype=bool)
    raised: list[set[str]] = [set() for _ in range(n)]
    for r in records:
        responded[r.customer] = True
        raised[r.customer].update(r.themes)
        if "silent_detractor" in r.tags:
            raised[r.customer].add("__silent_detractor__")
    for c in range(n):
        for theme in sorted(raised[c]):
            factor[c] *= (
                SILENT_DETRACTOR_CHURN if theme == "__silent_detractor__" else THEME_BY_ID[theme].churn_multiplier
            )
    factor[~responded] *= NON_RESPONDER_CHURN
    base = customers["segment"].map(BASE_CHURN).to_numpy()
    p = np.minimum(base * factor, 0.95)
    customers["churned"] = rng.random(n) < p
    customers["responded"] = responded


def _to_frame(records: list[SampleRecord], customers: pd.DataFrame) -> pd.DataFrame:
    cust = customers.set_index(np.arange(len(customers)))
    idx = [r.customer for r in records]
    frame = pd.DataFrame(
        {
            "feedback_id": [r.feedback_id for r in records],
            "created_at": [r.created_text or r.created.strftime("%Y-%m-%dT%H:%M:%S") for r in records],
            "source_type": [r.source_type for r in records],
            "channel": [r.channel for r in records],
            "language": cust["language"].to_numpy()[idx],
            "text": [r.text for r in records],
            "score": pd.array([None if r.score is None else int(r.score) for r in records], dtype="Int64"),
            "score_type": pd.array([r.score_type for r in records], dtype="object"),
            "customer_id": cust["customer_id"].to_numpy()[idx],
            "segment": cust["segment"].to_numpy()[idx],
            "journey_stage": [r.journey_stage for r in records],
            "market": cust["market"].to_numpy()[idx],
            "customer_value": cust["customer_value"].to_numpy()[idx],
            "churned": cust["churned"].to_numpy()[idx],
        }
    )
    return frame[list(FEEDBACK_COLUMNS)]


def generate_sample(
    *, n_records: int = 4000, seed: int = 7, end_date: dt.date | None = None, days: int = 90
) -> tuple[pd.DataFrame, dict]:
    """Generate the sample feedback table and the truth of what was planted in it.

    Parameters
    ----------
    n_records : int
        Rows of the feedback table, duplicates and deliberately bad rows included (>= 500).
    seed : int
        Seed of the only random generator used; same arguments, same output.
    end_date : datetime.date, optional
        Last day of the sample; defaults to :data:`DEFAULT_END_DATE`, not today, so files are
        reproducible. Pass ``datetime.date.today()`` for a demo that looks current.
    days : int
        Length of the sample window (>= 40, so the 28-day baseline before the spike week exists).

    Returns
    -------
    feedback : pandas.DataFrame
        One row per record, columns :data:`FEEDBACK_COLUMNS`; ``created_at`` is an ISO string
        (a few are deliberately unparseable), ``score`` is nullable ``Int64``.
    planted : dict
        JSON-ready truth: per-record themes and tags, the theme catalogue with names per
        language, each planted scenario with its realised numbers, and the customer table under
        ``"customers"`` (a DataFrame, dropped when written to JSON).
    """
    if n_records < 500:
        raise ValueError(f"n_records={n_records}: the planted scenarios need at least 500 records")
    if days < 40:
        raise ValueError(f"days={days}: need at least 40 (7-day spike window plus a 28-day baseline)")
    check_banks()
    end_date = end_date or DEFAULT_END_DATE
    rng = np.random.default_rng(seed)
    builder = RecordBuilder(rng, end_date, days)
    customers = builder.customers(round(0.8 * n_records))
    n_dup = max(5, n_records // 200)
    n_bad = max(6, round(n_records / 400))
    records = _build_records(builder, customers, n_records - n_dup)
    end = dt.datetime.combine(end_date, dt.time(23, 59, 59))
    _add_duplicates(rng, records, n_dup, end)
    order = sorted(range(len(records)), key=lambda i: (records[i].created, i))
    for new, old in enumerate(order):
        records[old].feedback_id = f"FB-{new + 1:06d}"
    duplicates = [
        {"feedback_id": r.feedback_id, "duplicate_of": records[r.duplicate_of].feedback_id}
        for r in records
        if r.duplicate_of is not None
    ]
    records = [records[i] for i in order]
    bad = _add_bad_rows(rng, records, n_bad)
    _assign_churn(rng, customers, records)
    frame = _to_frame(records, customers)
    planted = summarise(
        frame,
        records,
        customers,
        config={
            "seed": seed,
            "n_records": n_records,
            "end_date": end_date.isoformat(),
            "days": days,
            "version": GENERATOR_VERSION,
            "spike_days": SPIKE_DAYS,
            "spike_factor": SPIKE_FACTOR,
            "emerging_days": EMERGING_DAYS,
            "silent_detractor_target": dict(SILENT_DETRACTOR_TARGET),
            "non_responder_churn": NON_RESPONDER_CHURN,
            "silent_detractor_churn": SILENT_DETRACTOR_CHURN,
        },
        duplicates=sorted(duplicates, key=lambda d: d["feedback_id"]),
        bad_rows=sorted(
            ({"feedback_id": x["record"].feedback_id, "column": x["column"], "reason": x["reason"]} for x in bad),
            key=lambda d: d["feedback_id"],
        ),
    )
    planted["customers"] = customers[list(CUSTOMER_COLUMNS)].copy()
    return frame, planted


def write_sample(
    out_dir: Path, *, n_records: int = 4000, seed: int = 7, end_date: dt.date | None = None
) -> dict[str, Path]:
    """Write ``feedback.csv`` (UTF-8), ``customers.csv`` and ``planted.json`` into ``out_dir``.

    Returns
    -------
    dict
        ``{"feedback": path, "customers": path, "planted": path}``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frame, planted = generate_sample(n_records=n_records, seed=seed, end_date=end_date)
    customers = planted.pop("customers")
    paths = {
        "feedback": out_dir / "feedback.csv",
        "customers": out_dir / "customers.csv",
        "planted": out_dir / "planted.json",
    }
    frame.to_csv(paths["feedback"], index=False, encoding="utf-8", lineterminator="\n", float_format="%.2f")
    customers.to_csv(paths["customers"], index=False, encoding="utf-8", lineterminator="\n", float_format="%.2f")
    paths["planted"].write_text(json.dumps(planted, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return paths
