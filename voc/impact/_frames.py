"""Small shared views over the canonical tables used by priorities, signals and alerts.

Every impact step needs the same joins (theme mentions with the record's date, customer and
segment; one row per customer with churn and value; score bands per score type). Keeping them in
one place makes every step count a "customer" or a "detractor" the same way.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from voc.schemas import RECORD_COLUMNS, UNASSIGNED_THEME

#: Mentions whose sentiment is below this are negative; mirrors ``SentimentSettings.neutral_band``'s
#: default so a mention labelled negative upstream is counted negative here.
NEGATIVE_BELOW: Final = -0.15
#: Mentions above this are positive (same band).
POSITIVE_ABOVE: Final = 0.15

#: Sources that cost an agent's time; cost to serve counts these records only, because a survey
#: answer or a public review is not a contact the organisation pays to handle.
CONTACT_SOURCES: Final[tuple[str, ...]] = ("ticket", "complaint")

#: Score bands per score type: (low at or below, high at or above). NPS uses the usual
#: detractor (0-6) and promoter (9-10) bands; CSAT and stars the bottom and top two boxes of 1-5;
#: CES the CES 2.0 agreement scale 1-7 where 7 means "very easy", so 1-3 is high effort.
SCORE_BANDS: Final[dict[str, tuple[float, float]]] = {
    "nps": (6, 9),
    "csat": (2, 4),
    "stars": (2, 4),
    "ces": (3, 6),
}

_MENTION_RECORD_COLUMNS: Final[tuple[str, ...]] = (
    "record_id",
    "created_at",
    "customer_id",
    "segment",
    "channel",
    "journey_stage",
    "source_type",
    "score",
    "score_type",
    "churned",
    "customer_value",
)


def with_record_columns(records: pd.DataFrame) -> pd.DataFrame:
    """``records`` with every :data:`voc.schemas.RECORD_COLUMNS` present (missing ones all None).

    Lets callers pass a partial table (no segments, no churn) while the steps read one shape.
    """
    missing = [c for c in RECORD_COLUMNS if c not in records]
    if "record_id" in missing:
        raise KeyError(f"records needs a 'record_id' column; it has {list(records.columns)}")
    return records.assign(**{c: None for c in missing}) if missing else records


def customer_key(records: pd.DataFrame) -> pd.Series:
    """One key per customer; a record without ``customer_id`` counts as its own customer.

    Returns a string Series aligned with ``records`` (shape (n_records,)).
    """
    ids = records["customer_id"] if "customer_id" in records else pd.Series(None, index=records.index)
    fallback = "record:" + records["record_id"].astype(str)
    return ids.astype("string").where(ids.notna(), fallback).astype(str)


def has_customer_ids(records: pd.DataFrame) -> bool:
    """Whether any record names its customer; without any, :func:`customer_key` counts every record
    as its own customer and "customers" would only repeat the records."""
    if "customer_id" not in records:
        return False
    return bool(records["customer_id"].fillna("").astype(str).str.strip().ne("").any())


def score_band(records: pd.DataFrame) -> pd.Series:
    """``"low"`` / ``"mid"`` / ``"high"`` per record, ``None`` when it has no usable score.

    The bands follow :data:`SCORE_BANDS`; unknown score types give ``None`` rather than a guess.
    """
    band = pd.Series(None, index=records.index, dtype=object)
    if "score" not in records or "score_type" not in records:
        return band
    score = pd.to_numeric(records["score"], errors="coerce")
    kind = records["score_type"].astype("string").str.lower()
    for name, (low, high) in SCORE_BANDS.items():
        is_kind = (kind == name).fillna(False).to_numpy(bool) & score.notna().to_numpy()
        values = score.to_numpy(float)
        band[is_kind & (values <= low)] = "low"
        band[is_kind & (values >= high)] = "high"
        band[is_kind & (values > low) & (values < high)] = "mid"
    return band


def theme_mentions(records: pd.DataFrame, record_themes: pd.DataFrame) -> pd.DataFrame:
    """Mentions of real themes (unassigned dropped) joined with the record fields impact needs.

    Returns one row per (record, theme) with the :data:`voc.schemas.RECORD_THEME_COLUMNS` plus
    the record's date, customer key, segment, channel, journey stage, source type, score and churn.
    """
    keep = [c for c in _MENTION_RECORD_COLUMNS if c in records]
    rec = records[keep].copy()
    rec["customer_key"] = customer_key(records).to_numpy()
    rec["band"] = score_band(records).to_numpy()
    rt = record_themes.loc[record_themes["theme_id"].astype(int) != UNASSIGNED_THEME].copy()
    rt["theme_id"] = rt["theme_id"].astype(int)
    if "sentiment" not in rt:
        rt["sentiment"] = np.nan
    rt = rt.drop(columns=[c for c in rec.columns if c in rt and c != "record_id"])
    merged = rt.merge(rec, on="record_id", how="inner", validate="many_to_one")
    merged["created_at"] = naive_utc(merged["created_at"])
    return merged


def customers_table(records: pd.DataFrame) -> pd.DataFrame:
    """One row per customer key with ``churned`` (any record says churned; NaN when unknown) and
    ``value`` (the largest customer_value seen; NaN when none)."""
    frame = pd.DataFrame({"customer_key": customer_key(records).to_numpy()})
    churned = records["churned"] if "churned" in records else pd.Series(np.nan, index=records.index)
    value = records["customer_value"] if "customer_value" in records else pd.Series(np.nan, index=records.index)
    frame["churned"] = pd.to_numeric(churned.astype(object).where(churned.notna(), np.nan), errors="coerce").to_numpy()
    frame["value"] = pd.to_numeric(value, errors="coerce").to_numpy()
    return frame.groupby("customer_key", sort=True).agg(churned=("churned", "max"), value=("value", "max"))


def naive_utc(values) -> pd.Series:
    """Datetimes as naive UTC (the schema's convention); tz-aware input is converted, not rejected."""
    out = pd.to_datetime(pd.Series(values) if not isinstance(values, pd.Series) else values, errors="coerce")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def theme_labels(themes: pd.DataFrame) -> dict[int, str]:
    """theme_id -> label, with a readable fallback for ids the registry does not know."""
    if themes is None or themes.empty or "label" not in themes:
        return {}
    return {int(t): str(lbl) for t, lbl in zip(themes["theme_id"], themes["label"])}


def label_of(labels: dict[int, str], theme_id: int) -> str:
    """Label of a theme, ``"theme <id>"`` when unknown."""
    return labels.get(int(theme_id), f"theme {int(theme_id)}")


def has_text(records: pd.DataFrame) -> pd.Series:
    """True for records with a non-blank comment (shape (n_records,), bool)."""
    return records["text"].fillna("").astype(str).str.strip().str.len() > 0


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th"."""
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
