"""Split records into sentence/clause units, the grain at which themes are assigned.

A complaint often raises several issues at once ("late delivery, and the hotline was rude"); one
theme per whole record hides all but one of them. Units are cut per language in three passes:

1. lines and sentences (spaCy ``blank(lang)`` tokenizer + ``sentencizer``; the tokenizer keeps
   language-specific abbreviations such as "z.B." or "np." in one token),
2. repair: a "sentence" that starts in lower case or is shorter than ``min_chars`` was cut at an
   abbreviation or is a fragment ("Wow."), so it is glued to its neighbour,
3. clauses: ``;`` and clause joiners (", and the", ", a", ", ja", ", і", ", und", ...) split a
   sentence only when both sides are long enough to stand alone, so "rude and arrogant" stays whole.

Every unit is a verbatim slice of the record text, so it can be shown to an analyst as a quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

from voc.embed.cache import text_hash
from voc.schemas import UNIT_COLUMNS

#: Words that open a new clause, per language. Matched after a comma, or bare when followed by an
#: article/pronoun, so lists of adjectives ("rude and arrogant") are never cut.
CLAUSE_JOINERS: dict[str, tuple[str, ...]] = {
    "en": (
        ", and ",
        ", but ",
        " but the ",
        " and the ",
        " and my ",
        " and i ",
        ", while ",
        ", although ",
        ", however ",
    ),
    "de": (
        ", und ",
        ", aber ",
        " aber die ",
        " aber der ",
        " aber das ",
        " und die ",
        " und der ",
        " und das ",
        " und ich ",
        ", doch ",
        ", während ",
        ", allerdings ",
    ),
    "pl": (", a ", ", ale ", " ale ", ", i ", ", natomiast ", ", jednak ", " a do tego "),
    "fi": (", ja ", ", mutta ", " mutta ", " ja lisäksi ", ", eikä ", ", vaikka ", ", kun taas "),
    "uk": (", і ", ", й ", ", а ", ", але ", " але ", ", проте ", ", однак ", " а ще "),
}

#: Each side of a clause split must have at least this many words (and ``2 * min_chars`` characters).
MIN_CLAUSE_WORDS = 4

_LINE_BREAK = re.compile(r"\s*\n+\s*")


@lru_cache(maxsize=16)
def _sentencizer(language: str):
    """spaCy blank pipeline with a rule sentencizer; unknown codes fall back to multi-language."""
    import spacy

    try:
        nlp = spacy.blank(language)
    except Exception:
        nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp


def _spans_of_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of non-empty lines: bullets and e-mail paragraphs are separate thoughts."""
    spans, start = [], 0
    for match in _LINE_BREAK.finditer(text):
        if text[start : match.start()].strip():
            spans.append((start, match.start()))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def _sentence_spans(text: str, language: str) -> list[tuple[int, int]]:
    """Character spans of sentences (before repair) over the whole text."""
    nlp = _sentencizer(language)
    spans: list[tuple[int, int]] = []
    for line_start, line_end in _spans_of_lines(text):
        doc = nlp(text[line_start:line_end])
        spans.extend((line_start + s.start_char, line_start + s.end_char) for s in doc.sents if s.text.strip())
    return spans


def _starts_lower(fragment: str) -> bool:
    """True for a continuation cut at an abbreviation ("ca. 5 Std. gewartet" -> "gewartet.")."""
    first = fragment.lstrip("\"'„“”«»(")[:1]
    return first.isalpha() and first.islower()


def _repair(text: str, spans: list[tuple[int, int]], min_chars: int) -> list[tuple[int, int]]:
    """Glue abbreviation cuts and fragments shorter than ``min_chars`` to a neighbour."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        piece = text[start:end].strip()
        if merged and (_starts_lower(piece) or len(piece) < min_chars):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    # A short *first* fragment ("Wow.") joins the sentence after it.
    if len(merged) > 1 and len(text[merged[0][0] : merged[0][1]].strip()) < min_chars:
        merged[:2] = [(merged[0][0], merged[1][1])]
    return merged


def _can_stand_alone(piece: str, min_chars: int) -> bool:
    piece = piece.strip(" ,;")
    return len(piece) >= 2 * min_chars and len(piece.split()) >= MIN_CLAUSE_WORDS


def _cut_points(sentence: str, language: str) -> Iterable[int]:
    """Offsets inside ``sentence`` where a clause may start (after ';' or before a joiner word)."""
    lower = sentence.lower()
    for match in re.finditer(r";\s*", sentence):
        yield match.end()
    for joiner in CLAUSE_JOINERS.get(language, ()):
        for match in re.finditer(re.escape(joiner), lower):
            # The clause starts at the joiner word, after the comma and spaces.
            yield match.start() + len(joiner) - len(joiner.lstrip(", "))


def _split_clauses(text: str, span: tuple[int, int], language: str, min_chars: int) -> list[tuple[int, int]]:
    """Cut one sentence span at clause boundaries whose both sides can stand alone (left to right)."""
    start, end = span
    sentence = text[start:end]
    pieces, piece_start = [], 0
    for cut in sorted(set(_cut_points(sentence, language))):
        if _can_stand_alone(sentence[piece_start:cut], min_chars) and _can_stand_alone(sentence[cut:], min_chars):
            pieces.append((start + piece_start, start + cut))
            piece_start = cut
    pieces.append((start + piece_start, end))
    return pieces


def split_text(text: str, language: str, *, split_sentences: bool = True, min_chars: int = 12) -> list[str]:
    """Units of one text, in order; an empty text gives none.

    Parameters
    ----------
    text : str
    language : str
        ISO 639-1 code; unknown codes use spaCy's multi-language rules.
    split_sentences : bool
        False keeps the whole text as one unit.
    min_chars : int
        Fragments shorter than this are merged into a neighbour; clauses need twice as many.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    if not split_sentences:
        return [text.strip()]
    language = (language or "xx").lower()
    spans = _repair(text, _sentence_spans(text, language), min_chars)
    units: list[str] = []
    for span in spans:
        for start, end in _split_clauses(text, span, language, min_chars):
            piece = text[start:end].strip().rstrip(",;").strip()
            if piece:
                units.append(piece)
    return units or [text.strip()]


def split_units(records: pd.DataFrame, *, split_sentences: bool = True, min_chars: int = 12) -> pd.DataFrame:
    """One row per sentence/clause of each record.

    Parameters
    ----------
    records : DataFrame with columns ``record_id``, ``text``, ``language``
    split_sentences : bool
        False gives one unit per record (the whole text).
    min_chars : int
        Shorter fragments are merged into a neighbour (see :func:`split_text`).

    Returns
    -------
    DataFrame with :data:`voc.schemas.UNIT_COLUMNS`: ``unit_id`` (``f"{record_id}#{i}"``),
    ``record_id``, ``unit_index`` (int32, 0-based), ``text``, ``language``, ``text_hash`` (sha1 of
    the unit text). Records with empty text produce no rows.
    """
    missing = [c for c in ("record_id", "text", "language") if c not in records.columns]
    if missing:
        raise KeyError(f"split_units: records lack column(s) {missing}; columns present: {list(records.columns)}")
    rows: list[tuple] = []
    for record_id, text, language in zip(records["record_id"], records["text"], records["language"]):
        language = language if isinstance(language, str) and language else "und"
        for index, unit in enumerate(split_text(text, language, split_sentences=split_sentences, min_chars=min_chars)):
            rows.append((f"{record_id}#{index}", record_id, index, unit, language, text_hash(unit)))
    units = pd.DataFrame(rows, columns=list(UNIT_COLUMNS))
    units["unit_index"] = units["unit_index"].astype("int32")
    return units


#: Records of the stored split re-split each night to check it still holds (see :func:`split_new_units`).
CHECK_RECORDS = 200


def split_new_units(
    records: pd.DataFrame,
    stored: pd.DataFrame | None,
    *,
    split_sentences: bool = True,
    min_chars: int = 12,
    n_check: int = CHECK_RECORDS,
    seed: int = 0,
) -> pd.DataFrame:
    """:func:`split_units` of ``records``, taking the units of records split on an earlier night as stored.

    Splitting is the costliest per-record step after embedding (spaCy per text: a minute at 10^5
    records), and a record's units never change while its text does not: the store drops the
    units of a record whose text is edited. What can change is the rule (``split_sentences``,
    this module's code), so a seeded sample of ``n_check`` stored records is split again and
    compared first; on any difference every record is split anew.

    Parameters
    ----------
    records : DataFrame with ``record_id``, ``text``, ``language``
    stored : DataFrame with :data:`voc.schemas.UNIT_COLUMNS`, or None
        Units kept from earlier nights (of these and possibly other records).
    split_sentences, min_chars : see :func:`split_units`

    Returns
    -------
    The same frame as ``split_units(records, ...)``: rows in record order, then unit order.
    """
    if stored is None or stored.empty or records.empty:
        return split_units(records, split_sentences=split_sentences, min_chars=min_chars)
    known = records["record_id"].isin(stored["record_id"]).to_numpy()
    check = records[known].sample(n=min(n_check, int(known.sum())), random_state=seed)
    kept = stored[stored["record_id"].isin(check["record_id"])]
    again = split_units(check, split_sentences=split_sentences, min_chars=min_chars)
    if not _same_units(again, kept):
        return split_units(records, split_sentences=split_sentences, min_chars=min_chars)
    reused = stored.loc[stored["record_id"].isin(records.loc[known, "record_id"]), list(UNIT_COLUMNS)]
    fresh = split_units(records[~known], split_sentences=split_sentences, min_chars=min_chars)
    units = pd.concat([_as_split(reused), fresh], ignore_index=True)
    position = pd.Series(range(len(records)), index=records["record_id"].to_numpy())
    order = np.lexsort((units["unit_index"].to_numpy(), position.reindex(units["record_id"]).to_numpy()))
    return units.iloc[order].reset_index(drop=True)


def _as_split(units: pd.DataFrame) -> pd.DataFrame:
    """Stored units with the dtypes :func:`split_units` gives (pandas strings, int32 index)."""
    out = units.astype({c: "str" for c in UNIT_COLUMNS if c != "unit_index"})
    out["unit_index"] = out["unit_index"].astype("int32")
    return out


def _same_units(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two unit frames hold the same units (order aside)."""
    if len(a) != len(b):
        return False
    key = ["record_id", "unit_index"]
    left = _as_split(a).sort_values(key).reset_index(drop=True)[list(UNIT_COLUMNS)]
    right = _as_split(b).sort_values(key).reset_index(drop=True)[list(UNIT_COLUMNS)]
    return bool(left.equals(right))
