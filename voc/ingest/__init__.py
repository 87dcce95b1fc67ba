"""Ingest: read feedback from files or SQL, map it to the canonical record table, clean it.

One chunk at a time: read raw strings -> map columns and parse values (bad rows to quarantine) ->
normalise text -> redact personal data -> hash -> drop exact duplicates -> detect language. Nothing
leaves this package with personal data in it, so later steps may store and embed freely.

Public entry points: :func:`ingest_source` (a configured source, streamed in chunks) and
:func:`ingest_frame` (the pure per-chunk core, usable on Dask partitions).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterator

import numpy as np
import pandas as pd

from voc.config import ColumnMapping, IngestSettings, SourceSettings
from voc.ingest.dedup import drop_duplicates, text_hashes
from voc.ingest.errors import IngestError
from voc.ingest.language import DEFAULT_LANGUAGES, LanguageTally, detect_confident
from voc.ingest.mapping import map_chunk, mapped_columns
from voc.ingest.normalise import normalise_text, normalise_texts
from voc.ingest.pii import redact_text, redact_texts
from voc.ingest.readers import read_source, source_label, to_raw_frame
from voc.schemas import QUARANTINE_COLUMNS, RECORD_COLUMNS

__all__ = ["IngestBatch", "IngestError", "ingest_frame", "ingest_source", "empty_records", "empty_quarantine"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

_STR_COLUMNS = ("record_id", "source", "source_file", "source_type", "text", "text_hash", "channel", "language",
                "score_type", "customer_id", "segment", "journey_stage", "extra")


@dataclass
class IngestBatch:
    """One processed chunk.

    Attributes
    ----------
    records : DataFrame, columns exactly :data:`voc.schemas.RECORD_COLUMNS`
        String columns use pandas' ``str`` dtype (missing = NaN), ``source_row`` int64,
        ``created_at`` datetime64[us] (naive UTC), ``score``/``customer_value`` float64,
        ``churned`` nullable ``boolean``, ``n_redactions`` int32.
    quarantine : DataFrame, columns exactly :data:`voc.schemas.QUARANTINE_COLUMNS`
        One row per problem (a row with two problems appears twice).
    stats : dict
        rows_read, rows_kept, quarantined (rows), duplicates_dropped, redactions, and
        ``language_<code>`` counts of the kept records.
    """

    records: pd.DataFrame
    quarantine: pd.DataFrame
    stats: dict[str, int] = field(default_factory=dict)


@dataclass
class _SourceState:
    """What must survive from one chunk of a source to the next."""

    seen: dict[Hashable, list] = field(default_factory=dict)
    languages: LanguageTally = field(default_factory=LanguageTally)


def ingest_source(source: SourceSettings, *, settings: IngestSettings | None = None) -> Iterator[IngestBatch]:
    """Read, map and clean one configured source, one batch per ``settings.chunk_size`` rows.

    Duplicates are dropped across chunks of the source, and short texts take the majority
    language seen so far in it.

    Raises
    ------
    IngestError
        When the file cannot be read or a mapped column is missing (before any batch is yielded).
    """
    settings = settings or IngestSettings()
    state = _SourceState()
    label = source_label(source)
    totals: Counter = Counter()
    for raw in read_source(source, chunk_size=settings.chunk_size):
        batch = _ingest(
            raw, columns=source.columns, source_name=source.display_name, source_file=label,
            rows=raw.index.to_numpy(dtype=np.int64), settings=settings, date_format=source.date_format, state=state,
        )
        totals.update(batch.stats)
        log.debug("%s: rows %s-%s done", label, raw.index.min() if len(raw) else 0, raw.index.max() if len(raw) else 0)
        yield batch
    log.info("%s: %d read, %d kept, %d quarantined, %d duplicates, %d redactions", label,
             totals["rows_read"], totals["rows_kept"], totals["quarantined"], totals["duplicates_dropped"],
             totals["redactions"])


def ingest_frame(
    frame: pd.DataFrame,
    *,
    columns: ColumnMapping,
    source_name: str,
    source_file: str = "<frame>",
    settings: IngestSettings | None = None,
    first_row: int = 1,
    date_format: str | None = None,
) -> IngestBatch:
    """Map and clean one in-memory frame (any dtypes; values are read as text).

    Row ``i`` of ``frame`` is input row ``first_row + i``, which feeds derived record ids and
    quarantine rows: pass the partition offset when processing a file in pieces so ids stay stable.
    Duplicates are dropped within this frame only.
    """
    settings = settings or IngestSettings()
    rows = np.arange(first_row, first_row + len(frame), dtype=np.int64)
    return _ingest(to_raw_frame(frame), columns=columns, source_name=source_name, source_file=source_file,
                   rows=rows, settings=settings, date_format=date_format, state=_SourceState())


def _ingest(
    raw: pd.DataFrame,
    *,
    columns: ColumnMapping,
    source_name: str,
    source_file: str,
    rows: np.ndarray,
    settings: IngestSettings,
    date_format: str | None,
    state: _SourceState,
) -> IngestBatch:
    """The per-chunk pipeline: map -> clean text -> quarantine -> hash -> dedup -> language."""
    source_file = raw.attrs.get("source_file", source_file)
    _check_unambiguous(raw, columns, source_file)
    read_problems = _read_problems(raw, rows)
    if read_problems and len(read_problems) == len(raw):
        # every row of the chunk was unreadable: the mapped columns may never have been seen
        raw = raw.assign(**{name: None for _, name in mapped_columns(columns) if name not in raw.columns})
    mapped = map_chunk(raw, columns=columns, source_name=source_name, source_file=source_file, rows=rows,
                       date_format=date_format)
    fields = mapped.fields
    problems = [p for p in mapped.problems if p[0] not in read_problems]
    _clean_text(fields, text_column=columns.text, redact=settings.redact, problems=problems)
    problems = [p for p in problems if p[0] not in read_problems]
    problems += [(pos, column, reason) for pos, (column, reason) in read_problems.items()]
    bad = {pos for pos, _, _ in problems}
    quarantine = _quarantine(raw, problems, rows, source_file, redact=settings.redact)
    kept = fields.iloc[[i for i in range(len(fields)) if i not in bad]].copy()
    kept["text_hash"] = text_hashes(kept["text"].tolist())
    dropped = 0
    if settings.drop_duplicates:
        kept, dropped = drop_duplicates(kept, seen=state.seen)
    kept["language"] = _languages(kept, settings, state)
    records = _typed_records(kept)
    stats = {"rows_read": len(raw), "rows_kept": len(records), "quarantined": len(bad),
             "duplicates_dropped": dropped, "redactions": int(records["n_redactions"].sum())}
    stats.update({f"language_{k}": int(v) for k, v in records["language"].value_counts().items()})
    return IngestBatch(records, quarantine, stats)


def _check_unambiguous(raw: pd.DataFrame, columns: ColumnMapping, source_file: str) -> None:
    """A mapped column whose name the header repeats cannot be read safely: say so instead of guessing."""
    repeated = set(raw.attrs.get("duplicate_columns", ()))
    for role, name in mapped_columns(columns):
        if name in repeated:
            raise IngestError(f"the header has more than one column named '{name}' (the {role} column); "
                              "rename them so each is unique", file=source_file, column=name)


def _read_problems(raw: pd.DataFrame, rows: np.ndarray) -> dict[int, tuple[str, str]]:
    """Row faults the reader found (bad bytes, broken quotes, broken JSON), by position in the chunk."""
    found = raw.attrs.get("read_problems") or {}
    if not found:
        return {}
    position = {int(r): i for i, r in enumerate(rows)}
    return {position[int(r)]: problem for r, problem in found.items() if int(r) in position}


def _clean_text(fields: pd.DataFrame, *, text_column: str, redact: bool, problems: list) -> None:
    """Normalise and redact ``fields["text"]`` in place; flag rows with neither text nor score.

    Score-only survey answers stay: they are how silent detractors are found.
    """
    texts = normalise_texts(fields["text"].tolist())
    empty = np.array([not t for t in texts], dtype=bool) & fields["score"].isna().to_numpy()
    problems.extend((int(pos), text_column, "empty text") for pos in np.flatnonzero(empty))
    texts, counts = redact_texts(texts) if redact else (texts, [0] * len(texts))
    fields["text"] = texts
    fields["n_redactions"] = np.asarray(counts, dtype=np.int32)


def _languages(kept: pd.DataFrame, settings: IngestSettings, state: _SourceState) -> list[str]:
    """Detected codes; unsure texts take the source's majority so far in their script."""
    texts = kept["text"].tolist()
    found = detect_confident(
        texts,
        languages=tuple(getattr(settings, "languages", None) or DEFAULT_LANGUAGES),
        min_chars=settings.min_chars_for_language,
        min_confidence=settings.min_language_confidence,
        hints=kept["language_hint"].tolist(),
    )
    state.languages.update(texts, found)
    # a score-only answer (empty text) has no language; guessing one would skew per-language counts
    return [code or state.languages.fallback(text) for code, text in zip(found, texts)]


def _quarantine(
    raw: pd.DataFrame, problems: list[tuple[int, str, str]], rows: np.ndarray, source_file: str, *, redact: bool
) -> pd.DataFrame:
    if not problems:
        return empty_quarantine()
    problems = sorted(problems, key=lambda p: p[0])
    records = []
    for pos, column, reason in problems:
        values = raw.iloc[pos].tolist()
        row = {str(k): _safe(v, redact) for k, v in zip(raw.columns, values)}
        records.append({"source_file": source_file, "source_row": int(rows[pos]), "column": column,
                        "reason": _safe(reason, redact), "raw": json.dumps(row, ensure_ascii=False)})
    frame = pd.DataFrame.from_records(records, columns=list(QUARANTINE_COLUMNS))
    return frame.astype({"source_file": "str", "source_row": "int64", "column": "str", "reason": "str", "raw": "str"})


def _safe(value: Any, redact: bool) -> Any:
    # the raw row is stored too, so it must be as free of personal data as the records
    if isinstance(value, str) and redact:
        return redact_text(normalise_text(value))[0] if value.strip() else value
    return value


def _typed_records(kept: pd.DataFrame) -> pd.DataFrame:
    out = kept.reset_index(drop=True)
    out = out[list(RECORD_COLUMNS)].copy()
    for name in _STR_COLUMNS:
        out[name] = out[name].astype("str")
    out["source_row"] = out["source_row"].astype("int64")
    out["created_at"] = out["created_at"].astype("datetime64[us]")
    out["score"] = out["score"].astype("float64")
    out["customer_value"] = out["customer_value"].astype("float64")
    out["churned"] = out["churned"].astype("boolean")
    out["n_redactions"] = out["n_redactions"].astype("int32")
    return out


def empty_records() -> pd.DataFrame:
    """A records frame with no rows and the documented dtypes (for writers and tests)."""
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in RECORD_COLUMNS})
    frame["created_at"] = pd.Series([], dtype="datetime64[us]")
    frame["score"] = pd.Series([], dtype="float64")
    frame["customer_value"] = pd.Series([], dtype="float64")
    frame["source_row"] = pd.Series([], dtype="int64")
    frame["n_redactions"] = pd.Series([], dtype="int32")
    frame["churned"] = pd.Series([], dtype="boolean")
    return _typed_records(frame)


def empty_quarantine() -> pd.DataFrame:
    """A quarantine frame with no rows."""
    return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "source_row" else "str") for c in QUARANTINE_COLUMNS})
