"""Map raw input columns to the canonical record fields and parse their values.

Input: a chunk of raw strings (see :mod:`voc.ingest.readers`). Output: the canonical fields (text
still raw), plus a list of row problems that send a row to quarantine. Parsing is vectorised where
pandas can do it and falls back to per-value rules only for the rows that need them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from voc.config import ColumnMapping
from voc.ingest.errors import IngestError
from voc.schemas import SCORE_SCALES

#: Values read as churned / not churned (en, pl, fi, uk, de, sv and friends); anything else -> None.
CHURN_VALUES: dict[str, bool] = {
    **dict.fromkeys(
        [
            "yes",
            "y",
            "true",
            "t",
            "1",
            "1.0",
            "tak",
            "kyllä",
            "kylla",
            "k",
            "так",
            "ja",
            "j",
            "churned",
            "lost",
            "odszedł",
            "odszedl",
            "lähtenyt",
        ],
        True,
    ),
    **dict.fromkeys(
        [
            "no",
            "n",
            "false",
            "f",
            "0",
            "0.0",
            "nie",
            "ei",
            "ні",
            "нi",
            "nein",
            "nej",
            "active",
            "retained",
            "aktywny",
            "aktiivinen",
        ],
        False,
    ),
}

#: Raw source-type labels folded onto the canonical review | complaint | ticket | survey | other.
SOURCE_TYPES: dict[str, str] = {
    **dict.fromkeys(
        ["review", "reviews", "recenzja", "opinia", "arvostelu", "відгук", "bewertung", "rezension"], "review"
    ),
    **dict.fromkeys(
        [
            "complaint",
            "complaints",
            "reklamacja",
            "skarga",
            "reklamaatio",
            "valitus",
            "скарга",
            "beschwerde",
            "reklamation",
        ],
        "complaint",
    ),
    **dict.fromkeys(
        [
            "ticket",
            "tickets",
            "support",
            "support ticket",
            "zgłoszenie",
            "tiketti",
            "tukipyyntö",
            "звернення",
            "заявка",
            "anfrage",
        ],
        "ticket",
    ),
    **dict.fromkeys(
        ["survey", "surveys", "nps", "csat", "ces", "ankieta", "kysely", "опитування", "umfrage"], "survey"
    ),
}

#: Scales answered by picking one whole number: a 7.5 there is a data error, not an answer
#: (star ratings may be averaged or half stars, so they are not listed).
WHOLE_NUMBER_SCALES: frozenset[str] = frozenset({"nps", "csat", "ces"})

_SCORE_TYPE_ALIASES = {"star": "stars", "rating": "stars", "nps": "nps", "csat": "csat", "ces": "ces", "stars": "stars"}

# Day-first layouts common in PL/FI/DE/UK exports; tried vectorised before the slow generic parser.
_MONTH_WORD = r"[^\W\d_]{3,}"
_DAY_FIRST_FORMATS = (
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d/%m/%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d-%m-%Y",
    "%d-%m-%Y %H:%M",
    "%d.%m.%y",
    "%d/%m/%y",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y.%m.%d",
)


@dataclass
class MappedChunk:
    """Canonical fields of one chunk, positionally aligned with the input rows (length n).

    ``fields`` has the columns record_id, source, source_file, source_row, source_type, text (raw),
    created_at, channel, score, score_type, customer_id, segment, journey_stage, customer_value,
    churned, extra and language_hint. ``problems`` holds (position, input column, reason) for
    rows that must go to quarantine.
    """

    fields: pd.DataFrame
    problems: list[tuple[int, str, str]] = field(default_factory=list)


def check_columns(columns: Sequence[str], mapping: ColumnMapping, *, file: str) -> None:
    """Fail at once when a mapped column is absent, naming it and the columns that exist.

    Raises
    ------
    IngestError
    """
    wanted = mapped_columns(mapping)
    present = set(columns)
    for role, name in wanted:
        if name not in present:
            raise IngestError(
                f"{role} column '{name}' not found; columns in the file: {list(columns)}", file=file, column=name
            )
    if mapping.score and not (mapping.score_type or mapping.score_type_column):
        raise IngestError("a score column needs `score_type` or `score_type_column`", file=file, column=mapping.score)


def mapped_columns(mapping: ColumnMapping) -> list[tuple[str, str]]:
    """(role, input column) for every column the mapping names, text first."""
    roles = [
        ("text", mapping.text),
        ("id", mapping.id),
        ("date", mapping.date),
        ("language", mapping.language),
        ("score", mapping.score),
        ("score type", mapping.score_type_column),
        ("channel", mapping.channel),
        ("journey stage", mapping.journey_stage),
        ("source type", mapping.source_type),
        ("customer", mapping.customer),
        ("value", mapping.value),
        ("churn", mapping.churn),
    ]
    roles += [("segment", s) for s in mapping.segments]
    return [(role, name) for role, name in roles if name]


def map_chunk(
    raw: pd.DataFrame,
    *,
    columns: ColumnMapping,
    source_name: str,
    source_file: str,
    rows: np.ndarray,
    date_format: str | None = None,
) -> MappedChunk:
    """Map and parse one chunk of raw strings.

    Parameters
    ----------
    raw : DataFrame, n rows of str/None
    rows : ndarray of int64, shape (n,)
        1-based input row numbers, for ids and quarantine.
    """
    check_columns(list(raw.columns), columns, file=source_file)
    n = len(raw)
    raw = raw.reset_index(drop=True)
    problems: list[tuple[int, str, str]] = []

    def col(name: str | None) -> pd.Series:
        if not name:
            return pd.Series([None] * n, dtype=object)
        return raw[name].map(_clean, na_action="ignore").astype(object).where(lambda s: s.notna(), None)

    fields = pd.DataFrame(index=pd.RangeIndex(n))
    fields["record_id"] = _record_ids(col(columns.id), source_name, rows)
    fields["source"] = source_name
    fields["source_file"] = source_file
    fields["source_row"] = np.asarray(rows, dtype=np.int64)
    fields["source_type"] = col(columns.source_type).map(_source_type, na_action="ignore").fillna("other")
    fields["text"] = raw[columns.text].astype(object).where(raw[columns.text].notna(), None)
    fields["created_at"] = _dates(col(columns.date), columns.date, date_format, problems)
    fields["channel"] = col(columns.channel).map(str.lower, na_action="ignore")
    score, score_type = _scores(col(columns.score), col(columns.score_type_column), columns, problems)
    fields["score"] = score
    fields["score_type"] = score_type
    fields["customer_id"] = col(columns.customer)
    fields["segment"] = col(columns.segments[0] if columns.segments else None)
    fields["journey_stage"] = col(columns.journey_stage)
    fields["customer_value"] = parse_numbers(col(columns.value))
    fields["churned"] = col(columns.churn).map(lambda v: CHURN_VALUES.get(v.lower()), na_action="ignore")
    fields["extra"] = _extra(raw, columns.segments[1:])
    fields["language_hint"] = col(columns.language)
    return MappedChunk(fields, problems)


def _clean(value: str) -> str | None:
    value = value.strip()
    return value or None


def stable_record_id(source_name: str, row: int) -> str:
    """Id for a row without an id column: same source and row give the same id on every run."""
    digest = hashlib.sha1(f"{source_name}\x1f{int(row)}".encode()).hexdigest()
    return f"r{digest[:20]}"


def _record_ids(ids: pd.Series, source_name: str, rows: np.ndarray) -> pd.Series:
    derived = pd.Series([stable_record_id(source_name, r) for r in rows], dtype=object)
    return ids.where(ids.notna(), derived)


def _source_type(value: str) -> str:
    return SOURCE_TYPES.get(value.lower(), "other")


def parse_dates(values: pd.Series, *, date_format: str | None = None) -> pd.Series:
    """Parse raw date strings to naive UTC ``datetime64[us]``; NaT where empty or unparseable.

    Without ``date_format``: ISO 8601 first (offsets converted to UTC), then common day-first
    layouts (``15.03.2024``, ``15/03/2024 14:30``), then a generic day-first parser, because
    European exports write the day first and a month-first guess would silently swap them.
    """
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    todo = values.notna()
    if not todo.any():
        return out.dt.tz_convert(None)
    formats = (date_format,) if date_format else ("ISO8601", *_DAY_FIRST_FORMATS)
    for fmt in formats:
        part = values[todo]
        parsed = pd.to_datetime(part, format=fmt, errors="coerce", utc=True)
        out.loc[parsed.index] = parsed.where(parsed.notna(), out.loc[parsed.index])
        todo &= out.isna()
        if not todo.any():
            break
    if todo.any() and not date_format:
        # only dates with a month name ("5 Mar 2024") go to the generic parser: it would read an
        # impossible numeric date such as 2026-13-05 by swapping day and month
        for idx in values.index[todo & values.str.contains(_MONTH_WORD, na=False)]:
            out.loc[idx] = pd.to_datetime(values[idx], dayfirst=True, errors="coerce", utc=True)
    return out.dt.tz_convert(None).astype("datetime64[us]")


#: Dates exports write where they have none: the Unix epoch and Excel's day zero. Read as real
#: dates they would stretch every time axis back to 1970 and count as decades-old feedback.
PLACEHOLDER_DATES: Final = frozenset(
    {pd.Timestamp("1970-01-01"), pd.Timestamp("1899-12-30"), pd.Timestamp("1900-01-01")}
)


def _dates(values: pd.Series, column: str | None, date_format: str | None, problems: list) -> pd.Series:
    parsed = parse_dates(values, date_format=date_format)
    bad = values.notna() & parsed.isna()
    for pos in np.flatnonzero(bad.to_numpy()):
        problems.append((int(pos), column or "", f"unparseable date '{values.iat[pos]}'"))
    placeholder = parsed.isin(PLACEHOLDER_DATES)
    for pos in np.flatnonzero(placeholder.to_numpy()):
        problems.append(
            (int(pos), column or "", f"placeholder date '{values.iat[pos]}' (an export's stand-in for no date)")
        )
    return parsed


_NUMBER_NOISE = re.compile(r"[^\d,.\-+eE]")


def parse_number(value: str | None) -> float | None:
    """Lenient number: ``"1 234,50 zł"``, ``"1,234.50"``, ``"€99"``, ``"7,5"`` -> float; else None."""
    if value is None:
        return None
    text = _NUMBER_NOISE.sub("", value.replace("\u00a0", "").replace(" ", ""))
    if "," in text and "." in text:
        # the later separator is the decimal one
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "").replace(",", ".")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    elif text.count(",") > 1:
        text = text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def parse_numbers(values: pd.Series) -> pd.Series:
    """:func:`parse_number` over a Series of raw strings -> float64 (NaN where missing)."""
    return pd.Series([parse_number(v) for v in values.tolist()], index=values.index, dtype="float64")


_SCORE = re.compile(r"([+-]?\d+(?:[.,]\d+)?)(?:\s*/\s*\d+)?")


def parse_score(value: str | None) -> float | None:
    """A survey score: ``"9"``, ``"7,5"``, ``"4/5"`` -> float; anything else -> None.

    Stricter than :func:`parse_number`: ``"9/10"`` must not become 910.
    """
    if value is None:
        return None
    match = _SCORE.fullmatch(value.strip())
    return float(match.group(1).replace(",", ".")) if match else None


def _scores(values: pd.Series, types: pd.Series, mapping: ColumnMapping, problems: list) -> tuple[pd.Series, pd.Series]:
    score = pd.Series([parse_score(v) for v in values.tolist()], index=values.index, dtype="float64")
    kind = types.map(lambda v: _SCORE_TYPE_ALIASES.get(v.lower(), f"?{v}"), na_action="ignore").astype(object)
    kind = kind.where(kind.notna(), mapping.score_type).astype(object)
    kind = kind.where(kind.notna(), None)
    present = values.notna().to_numpy()
    low = kind.map(lambda t: SCORE_SCALES[t][0] if t in SCORE_SCALES else np.nan).to_numpy(dtype=float)
    high = kind.map(lambda t: SCORE_SCALES[t][1] if t in SCORE_SCALES else np.nan).to_numpy(dtype=float)
    s = score.to_numpy()
    unknown = kind.map(lambda t: isinstance(t, str) and t.startswith("?")).to_numpy(dtype=bool)
    no_type = kind.isna().to_numpy()
    outside = ~np.isnan(s) & ~np.isnan(low) & ((s < low) | (s > high))
    whole = kind.map(lambda t: t in WHOLE_NUMBER_SCALES).to_numpy(dtype=bool)
    fractional = ~np.isnan(s) & whole & (np.abs(s - np.round(s)) > 1e-9)
    for pos in np.flatnonzero(present & (np.isnan(s) | unknown | no_type | outside | fractional)):
        raw, t = values.iat[pos], kind.iat[pos]
        if np.isnan(s[pos]):
            problems.append((int(pos), mapping.score or "", f"unparseable score '{raw}'"))
        elif no_type[pos]:
            problems.append((int(pos), mapping.score_type_column or "", "score without a score type"))
        elif unknown[pos]:
            problems.append((int(pos), mapping.score_type_column or "", f"unknown score type '{t[1:]}'"))
        elif outside[pos]:
            problems.append((int(pos), mapping.score or "", f"score {raw} outside {t} {low[pos]:g}-{high[pos]:g}"))
        else:
            problems.append(
                (
                    int(pos),
                    mapping.score or "",
                    f"score {raw} is not a whole number; {t} answers are "
                    f"{low[pos]:g}, {low[pos] + 1:g}, ... {high[pos]:g}",
                )
            )
    kind = kind.where(present & ~unknown, None)
    return score, kind.astype(object)


def _extra(raw: pd.DataFrame, names: Sequence[str]) -> pd.Series:
    """JSON object of the further segment columns per row ("{}" when none)."""
    if not names:
        return pd.Series(["{}"] * len(raw), dtype=object)
    block = raw[list(names)]
    return pd.Series(
        [
            json.dumps(
                {k: (v.strip() if isinstance(v, str) and v.strip() else None) for k, v in zip(names, r)},
                ensure_ascii=False,
            )
            for r in block.itertuples(index=False, name=None)
        ],
        dtype=object,
    )
