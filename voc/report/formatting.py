"""Small, total formatters: every one accepts None/NaN and returns a display string.

The report never shows ``nan``, ``None`` or ``1.2345678e-05`` to an analyst; a missing value is
an en dash.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any, Final

import numpy as np
import pandas as pd

DASH: Final = "–"

LANGUAGE_NAMES: Final[dict[str, str]] = {
    "pl": "Polish",
    "fi": "Finnish",
    "uk": "Ukrainian",
    "en": "English",
    "de": "German",
    "und": "Unknown",
}


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def as_float(value: Any) -> float | None:
    """``value`` as a finite float, else None."""
    if is_missing(value) or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def number(value: Any, digits: int = 0) -> str:
    """Thousands separated with a thin space, so 12 345 reads the same in every language."""
    v = as_float(value)
    if v is None:
        return DASH
    return f"{v:,.{digits}f}".replace(",", "\u202f").replace("-", "−")


def signed(value: Any, digits: int = 1, suffix: str = "") -> str:
    v = as_float(value)
    if v is None:
        return DASH
    text = f"{v:+,.{digits}f}".replace(",", "\u202f").replace("-", "−")
    return f"{text}{suffix}"


def percent(value: Any, digits: int = 0, *, fraction: bool = True) -> str:
    """``0.123`` -> ``12 %`` (``fraction=True``) or ``12.3`` -> ``12 %``."""
    v = as_float(value)
    if v is None:
        return DASH
    return f"{v * 100 if fraction else v:.{digits}f}\u202f%"


def p_value(value: Any) -> str:
    v = as_float(value)
    if v is None:
        return DASH
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def money(value: Any, currency: str = "EUR") -> str:
    v = as_float(value)
    if v is None:
        return DASH
    return f"{number(v)}\u00a0{currency}"


def compact(value: Any) -> str:
    """``12345`` -> ``12.3k``, ``2500000`` -> ``2.5M``: money in narrow table columns."""
    v = as_float(value)
    if v is None:
        return DASH
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= limit:
            return f"{v / limit:.1f}{suffix}".replace("-", "−")
    return number(v)


def ratio(value: Any) -> str:
    v = as_float(value)
    return DASH if v is None else f"{v:.1f}×"


def date(value: Any) -> str:
    if is_missing(value):
        return DASH
    try:
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return str(value)


def datetime(value: Any) -> str:
    if is_missing(value):
        return DASH
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    return ts.strftime("%Y-%m-%d %H:%M") + (" UTC" if ts.tzinfo is None or ts.utcoffset() == dt.timedelta(0) else "")


def language(code: Any) -> str:
    if is_missing(code):
        return LANGUAGE_NAMES["und"]
    return LANGUAGE_NAMES.get(str(code), str(code))


def cell(value: Any) -> str:
    """Generic table cell: numbers rounded, timestamps as dates, text as is."""
    if is_missing(value):
        return DASH
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return number(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return DASH
        if abs(v) >= 100 or v == int(v):
            return number(v, 0 if v == int(v) else 1)
        return (f"{v:.3g}" if abs(v) < 0.01 else f"{v:.2f}").replace("-", "−")
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, np.datetime64)):
        ts = pd.Timestamp(value)
        return date(ts) if ts == ts.normalize() else datetime(ts)
    if isinstance(value, (list, tuple, set)):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {cell(v)}" for k, v in value.items())
    return str(value)


def sort_key(value: Any) -> str:
    """A value for ``data-sort`` attributes: numbers as numbers, the rest as lower-case text."""
    v = as_float(value)
    if v is not None:
        return repr(v)
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return pd.Timestamp(value).isoformat()
    return "" if is_missing(value) else str(value).lower()


def humanize(name: str) -> str:
    """``score_text_mismatch`` -> ``Score text mismatch``."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def json_value(text: Any, default: Any) -> Any:
    """Parse a JSON column value; a dict/list already parsed is passed through."""
    if isinstance(text, (dict, list)):
        return text
    if is_missing(text) or not str(text).strip():
        return default
    try:
        return json.loads(str(text))
    except (TypeError, ValueError):
        return default


def text(value: Any, default: str = "") -> str:
    """``value`` as text, ``default`` when missing (NaN is truthy, so ``or`` is not enough)."""
    return default if is_missing(value) or value == "" else str(value)


def truthy(value: Any) -> bool:
    """True for True, numpy True and 1; False for missing values (NaN is truthy in Python)."""
    return not is_missing(value) and bool(value)


def sentiment_class(value: Any) -> str:
    """CSS class of a sentiment score: ``neg``, ``neu`` or ``pos`` (neutral band +-0.15)."""
    v = as_float(value)
    if v is None:
        return "neu"
    return "neg" if v < -0.15 else ("pos" if v > 0.15 else "neu")
