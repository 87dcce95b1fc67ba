"""Ingest: read feedback from files or SQL, map it to the canonical record table, clean it.

One chunk at a time: read raw strings -> map columns and parse values (bad rows to quarantine) ->
normalise text -> redact personal data -> hash -> drop exact duplicates -> detect language. Nothing
leaves this package with personal data in it, so later steps may store and embed freely.

Public entry points: :func:`ingest_source` (a configured source, streamed in chunks) and
:func:`ingest_frame` (the pure per-chunk core, usable on Dask partitions).
"""

from __future__ import annotations

import functools
import json
import logging
from collections import Counter, deque
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from voc.compute.runners import InProcess, PartitionRunner
from voc.config import ColumnMapping, IngestSettings, SourceSettings
from voc.ingest.blocks import ParsedBlockCache, ParsedChunk, join_parsed, parse_blocks, split_blocks
from voc.ingest.dedup import drop_duplicates, text_hashes
from voc.ingest.errors import IngestError
from voc.ingest.fields_pii import redact_fields
from voc.ingest.language import DEFAULT_LANGUAGES, LanguageTally, detect_confident
from voc.ingest.mapping import map_chunk, mapped_columns
from voc.ingest.normalise import normalise_text, normalise_texts
from voc.ingest.pii import redact_text, redact_texts
from voc.ingest.readers import read_source, source_label, to_raw_frame
from voc.schemas import QUARANTINE_COLUMNS, RECORD_COLUMNS

__all__ = [
    "IngestBatch",
    "IngestError",
    "ParsedChunk",
    "empty_quarantine",
    "empty_records",
    "ingest_frame",
    "ingest_source",
    "parse_chunk",
]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

_STR_COLUMNS = (
    "record_id",
    "source",
    "source_file",
    "source_type",
    "text",
    "text_hash",
    "channel",
    "language",
    "score_type",
    "customer_id",
    "segment",
    "journey_stage",
    "extra",
)


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
    #: record id given by the id column -> (text hash, input row) of its first row
    ids: dict[str, tuple[str, int]] = field(default_factory=dict)


def ingest_source(
    source: SourceSettings,
    *,
    settings: IngestSettings | None = None,
    not_after: datetime | None = None,
    runner: PartitionRunner | None = None,
    parsed_cache: ParsedBlockCache | None = None,
) -> Iterator[IngestBatch]:
    """Read, map and clean one configured source, one batch per ``settings.chunk_size`` rows.

    Duplicates are dropped across chunks of the source, and texts too short to tell their
    language take the source's majority in their script: the batches are yielded once the
    source is read (the raw chunks are not kept, only the records), so they are the same
    whatever ``chunk_size`` is. Rows dated at or after ``not_after`` (the end of the night being
    processed) go to quarantine: they belong to a later night, and storing them now would put
    them in the store but in no night's outputs.

    Chunks are parsed in blocks (:mod:`voc.ingest.blocks`); with a ``parsed_cache``, blocks
    parsed before with the same rows and settings are taken from it, so a source grown by a day
    parses only its new rows. With a ``runner`` (:mod:`voc.compute`) the blocks are parsed on its
    workers (:func:`parse_chunk`) while this process reads ahead and settles them in input
    order, so the batches are the same as without one; a bounded window of chunks is in flight.

    Raises
    ------
    IngestError
        When the file cannot be read or a mapped column is missing (before any batch is yielded).
    """
    settings = settings or IngestSettings()
    state = _SourceState()
    label = source_label(source)
    totals: Counter = Counter()
    in_flight: deque[tuple[pd.DataFrame, list[pd.DataFrame], list[ParsedChunk | None]]] = deque()
    # kept blocks belong to the source as configured: two queries on one database (one masked
    # URL) or one file read under two names must not prune each other's
    kept_as = "\n".join((label, source.query or "", source.display_name))
    # everything a block's parse reads besides its own cells (the night's date is applied after)
    context = (
        source.columns,
        source.display_name,
        label,
        settings.model_dump(mode="json", exclude={"chunk_size"}),
        source.date_format,
    )

    def chunks() -> Iterator[list[pd.DataFrame]]:
        for raw in read_source(source, chunk_size=settings.chunk_size):
            _check_unambiguous(raw, source.columns, raw.attrs.get("source_file", label))
            blocks = split_blocks(raw) or [raw]
            kept = [parsed_cache.get(b, source=kept_as, context=context) if parsed_cache else None for b in blocks]
            in_flight.append((raw, blocks, kept))
            yield [b for b, k in zip(blocks, kept) if k is None]

    parse = functools.partial(
        parse_chunk,
        columns=source.columns,
        source_name=source.display_name,
        source_file=label,
        settings=settings,
        date_format=source.date_format,
    )
    settled: list[IngestBatch] = []
    reused = 0
    for fresh in (runner or InProcess()).imap(functools.partial(parse_blocks, parse=parse), chunks()):
        raw, blocks, kept = in_flight.popleft()
        new = iter(fresh)
        parts: list[ParsedChunk] = []
        for block, known in zip(blocks, kept):
            if known is None:
                known = next(new)
                if parsed_cache:
                    parsed_cache.put(block, known, source=kept_as, context=context)
            else:
                reused += len(block)
            parts.append(known)
        parsed = join_parsed(parts)
        rows = raw.index.to_numpy(dtype=np.int64)
        if not_after is not None:
            parsed.problems = _with_future_dates(parsed, raw, rows, not_after, source.columns.date or "")
        settled.append(
            _settle(
                raw,
                parsed,
                rows=rows,
                id_column=source.columns.id or "",
                settings=settings,
                state=state,
                check_ids=bool(source.columns.id),
            )
        )
        log.debug("%s: rows %s-%s done", label, raw.index.min() if len(raw) else 0, raw.index.max() if len(raw) else 0)
    if parsed_cache:
        parsed_cache.finish(kept_as)
    for done in settled:  # the whole source tallied: short answers take its majority language
        batch = _finish(done, state)
        totals.update(batch.stats)
        yield batch
    log.info(
        "%s: %d read (%d parsed on an earlier night), %d kept, %d quarantined, %d duplicates, %d redactions",
        label,
        totals["rows_read"],
        reused,
        totals["rows_kept"],
        totals["quarantined"],
        totals["duplicates_dropped"],
        totals["redactions"],
    )


def _with_future_dates(
    parsed: ParsedChunk, raw: pd.DataFrame, rows: np.ndarray, not_after: datetime, column: str
) -> list[tuple[int, str, str]]:
    """The chunk's problems plus its readable rows dated at or after the night's end.

    Those rows go to quarantine: a later night will read them.
    """
    unreadable = set(_read_problems(raw, rows))
    dates = parsed.fields["created_at"]
    late = (dates.notna() & (dates >= pd.Timestamp(not_after))).to_numpy()
    night = (pd.Timestamp(not_after) - pd.Timedelta(days=1)).date().isoformat()
    return parsed.problems + [
        (
            int(pos),
            column,
            f"dated {pd.Timestamp(dates.iat[pos]).strftime('%Y-%m-%d %H:%M')}, after the night {night} being "
            "processed; it will be read by the night it belongs to (--night)",
        )
        for pos in np.flatnonzero(late)
        if pos not in unreadable
    ]


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
    return _ingest(
        to_raw_frame(frame),
        columns=columns,
        source_name=source_name,
        source_file=source_file,
        rows=rows,
        settings=settings,
        date_format=date_format,
        state=_SourceState(),
    )


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
    check_ids: bool = False,
) -> IngestBatch:
    """The per-chunk pipeline: map -> clean text -> quarantine -> hash -> dedup -> language."""
    source_file = raw.attrs.get("source_file", source_file)
    _check_unambiguous(raw, columns, source_file)
    parsed = parse_chunk(
        raw,
        columns=columns,
        source_name=source_name,
        source_file=source_file,
        settings=settings,
        date_format=date_format,
        rows=rows,
    )
    settled = _settle(
        raw, parsed, rows=rows, id_column=columns.id or "", settings=settings, state=state, check_ids=check_ids
    )
    return _finish(settled, state)


def parse_chunk(
    raw: pd.DataFrame,
    *,
    columns: ColumnMapping,
    source_name: str,
    source_file: str,
    settings: IngestSettings,
    date_format: str | None = None,
    rows: np.ndarray | None = None,
) -> ParsedChunk:
    """Map, clean, redact, hash and detect the language of one chunk of raw strings.

    A function of the chunk alone (no state from earlier chunks), so chunks may be parsed on
    Dask workers in any order; :func:`ingest_source` settles them in input order (duplicates
    across chunks, repeated ids, the majority language of unsure texts). This is where the time
    of ingest goes: parsing dates and scores, PII patterns, language detection. What depends on
    the night (rows dated after it) is not judged here, so a parsed chunk serves any night.
    """
    rows = raw.index.to_numpy(dtype=np.int64) if rows is None else rows
    source_file = raw.attrs.get("source_file", source_file)
    read_problems = _read_problems(raw, rows)
    if read_problems and len(read_problems) == len(raw):
        # every row of the chunk was unreadable: the mapped columns may never have been seen
        raw = raw.assign(**{name: None for _, name in mapped_columns(columns) if name not in raw.columns})
    mapped = map_chunk(
        raw, columns=columns, source_name=source_name, source_file=source_file, rows=rows, date_format=date_format
    )
    fields = mapped.fields
    problems = [p for p in mapped.problems if p[0] not in read_problems]
    _clean_text(
        fields,
        text_column=columns.text,
        redact=settings.redact,
        problems=problems,
        keep_score_only=settings.keep_score_only,
    )
    field_redactions = (
        redact_fields(fields, policy=settings.customer_ids, salt=settings.customer_id_salt) if settings.redact else 0
    )
    problems = [p for p in problems if p[0] not in read_problems]
    problems += [(pos, column, reason) for pos, (column, reason) in read_problems.items()]
    fields["text_hash"] = text_hashes(fields["text"].tolist())
    bad = {pos for pos, _, _ in problems}
    good = [i for i in range(len(fields)) if i not in bad]
    detected = _detect(fields.iloc[good], settings)
    languages: list[str | None] = [None] * len(fields)
    for pos, code in zip(good, detected):
        languages[pos] = code
    return ParsedChunk(fields, problems, languages, int(field_redactions), source_file)


def _settle(
    raw: pd.DataFrame,
    parsed: ParsedChunk,
    *,
    rows: np.ndarray,
    id_column: str,
    settings: IngestSettings,
    state: _SourceState,
    check_ids: bool,
) -> IngestBatch:
    """What depends on the chunks before: repeated ids, duplicates, the majority language; in input order."""
    fields, problems = parsed.fields, list(parsed.problems)
    repeated: set[int] = set()
    if check_ids:
        repeated = _repeated_ids(fields, {p[0] for p in problems}, id_column, problems, state)
    bad = {pos for pos, _, _ in problems}
    quarantine = _quarantine(raw, problems, rows, parsed.source_file, redact=settings.redact)
    keep = [i for i in range(len(fields)) if i not in bad and i not in repeated]
    kept = fields.iloc[keep].copy()
    kept["_detected"] = pd.Series([parsed.languages[i] for i in keep], index=kept.index, dtype=object)
    dropped = len(repeated)
    if settings.drop_duplicates:
        kept, n = drop_duplicates(kept, seen=state.seen)
        dropped += n
    found = kept.pop("_detected").tolist()
    state.languages.update(kept["text"].tolist(), found)
    kept["language"] = pd.Series(found, index=kept.index, dtype=object)
    stats = {
        "rows_read": len(raw),
        "quarantined": len(bad),
        "duplicates_dropped": dropped,
        "field_redactions": parsed.field_redactions,
    }
    return IngestBatch(kept, quarantine, stats)


def _finish(settled: IngestBatch, state: _SourceState) -> IngestBatch:
    """Unsure languages filled from the source's majority in their script; records typed and counted.

    Called once the tally holds every chunk meant to count (the whole source in
    :func:`ingest_source`), so the language of a short answer does not depend on where the
    chunks were cut.
    """
    kept = settled.records
    texts = kept["text"].tolist()
    # a score-only answer (empty text) has no language; guessing one would skew per-language counts
    kept["language"] = [code or state.languages.fallback(text) for code, text in zip(kept["language"], texts)]
    records = _typed_records(kept)
    stats = {
        **settled.stats,
        "rows_kept": len(records),
        "redactions": int(records["n_redactions"].sum()),
        "score_only": int((records["text"] == "").sum()),
    }
    stats.update({f"language_{k}": int(v) for k, v in records["language"].value_counts().items()})
    return IngestBatch(records, settled.quarantine, stats)


def _check_unambiguous(raw: pd.DataFrame, columns: ColumnMapping, source_file: str) -> None:
    """A mapped column whose name the header repeats cannot be read safely: say so instead of guessing."""
    repeated = set(raw.attrs.get("duplicate_columns", ()))
    for role, name in mapped_columns(columns):
        if name in repeated:
            raise IngestError(
                f"the header has more than one column named '{name}' (the {role} column); "
                "rename them so each is unique",
                file=source_file,
                column=name,
            )


def _read_problems(raw: pd.DataFrame, rows: np.ndarray) -> dict[int, tuple[str, str]]:
    """Row faults the reader found (bad bytes, broken quotes, broken JSON), by position in the chunk."""
    found = raw.attrs.get("read_problems") or {}
    if not found:
        return {}
    position = {int(r): i for i, r in enumerate(rows)}
    return {position[int(r)]: problem for r, problem in found.items() if int(r) in position}


def _clean_text(
    fields: pd.DataFrame, *, text_column: str, redact: bool, problems: list, keep_score_only: bool = True
) -> None:
    """Normalise and redact ``fields["text"]`` in place; flag rows with an empty comment.

    An empty, blank or null comment with a score is a score-only survey answer and stays (silent
    detractors are found there) unless ``keep_score_only`` is off; without a score the row says
    nothing and goes to quarantine.
    """
    texts = normalise_texts(fields["text"].tolist())
    blank = np.array([not t for t in texts], dtype=bool)
    no_score = fields["score"].isna().to_numpy()
    for pos in np.flatnonzero(blank & (no_score | (not keep_score_only))):
        raw = fields["text"].iat[pos]
        what = (
            "empty text (null)"
            if raw is None
            else ("empty text" if raw == "" else "empty text (only spaces or invisible characters)")
        )
        reason = (
            what if no_score[pos] else f"{what} with a score (score-only answers are not kept: ingest.keep_score_only)"
        )
        problems.append((int(pos), text_column, reason))
    texts, counts = redact_texts(texts) if redact else (texts, [0] * len(texts))
    fields["text"] = texts
    fields["n_redactions"] = np.asarray(counts, dtype=np.int32)


def _repeated_ids(fields: pd.DataFrame, bad: set[int], column: str, problems: list, state: _SourceState) -> set[int]:
    """Rows reusing an id of an earlier row of the source.

    The same id with the same text is an exact repeat (returned, counted as a duplicate); with a
    different text it is ambiguous which is right, so the later row goes to quarantine naming the
    first: nothing is silently overwritten or dropped.
    """
    repeats: set[int] = set()
    for pos, (rid, digest, row) in enumerate(zip(fields["record_id"], fields["text_hash"], fields["source_row"])):
        if pos in bad:
            continue
        first = state.ids.get(rid)
        if first is None:
            state.ids[rid] = (digest, int(row))
        elif first[0] == digest:
            repeats.add(pos)
        else:
            problems.append((pos, column, f"id '{rid}' repeats row {first[1]} with a different text"))
    return repeats


def _detect(fields: pd.DataFrame, settings: IngestSettings) -> list[str | None]:
    """Confident language codes of ``fields["text"]`` (None where the detector is unsure)."""
    return detect_confident(
        fields["text"].tolist(),
        languages=tuple(getattr(settings, "languages", None) or DEFAULT_LANGUAGES),
        min_chars=settings.min_chars_for_language,
        min_confidence=settings.min_language_confidence,
        hints=fields["language_hint"].tolist(),
    )


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
        records.append(
            {
                "source_file": source_file,
                "source_row": int(rows[pos]),
                "column": column,
                "reason": _safe(reason, redact),
                "raw": json.dumps(row, ensure_ascii=False),
            }
        )
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
