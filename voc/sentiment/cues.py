"""Effort (CES) and churn-intent cues per record, in every supported language.

Cues are phrase patterns (``voc/sentiment/cues.yaml``) rather than a model: a CX manager must see
*which words* flagged a record, and the list is easy to extend per business. Patterns use stems
with ``\\w*`` so Polish, Finnish, Ukrainian and German inflections match without a lemmatiser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from voc.schemas import SUPPORTED_LANGUAGES

_CUE_FILE = Path(__file__).resolve().parent / "cues.yaml"
CUE_KINDS: tuple[str, str] = ("effort", "churn")


@lru_cache(maxsize=1)
def load_cue_patterns() -> dict[str, dict[str, list[re.Pattern[str]]]]:
    """Compiled patterns ``{language: {"effort"|"churn": [pattern]}}`` from ``cues.yaml``.

    Raises
    ------
    ValueError
        Naming the language, kind and pattern that does not compile.
    """
    raw = _raw_cues()
    compiled: dict[str, dict[str, list[re.Pattern[str]]]] = {}
    for lang, kinds in raw.items():
        if lang == "negators":
            continue
        compiled[lang] = {}
        for kind in CUE_KINDS:
            patterns = []
            for source in kinds.get(kind, []):
                try:
                    # never start a match inside a word, also where a pattern has no \b of its own
                    patterns.append(re.compile(r"(?<!\w)" + source, re.IGNORECASE))
                except re.error as exc:
                    raise ValueError(f"{_CUE_FILE}: {lang}.{kind} pattern {source!r}: {exc}") from exc
            compiled[lang][kind] = patterns
    return compiled


@lru_cache(maxsize=1)
def _raw_cues() -> dict:
    return yaml.safe_load(_CUE_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def load_negators() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """``{language: (negators before a cue, negators after it)}``, lower-cased."""
    out = {}
    for lang, spec in (_raw_cues().get("negators") or {}).items():
        out[lang] = (
            frozenset(str(w).lower() for w in spec.get("before", [])),
            frozenset(str(w).lower() for w in spec.get("after", [])),
        )
    return out


_CLAUSE_END = re.compile(r"[.,;:!?()\n]|\b(?:but|ale|mutta|але|aber)\b", re.IGNORECASE)
_WORD = re.compile(r"[\w'’]+")


def is_negated(text: str, start: int, end: int, language: str, *, window: int = 3) -> bool:
    """Whether the cue at ``text[start:end]`` is negated in its clause.

    Looks at up to ``window`` words before the cue (not past a clause boundary) and, for
    languages that negate after the verb (German), the word right after it.
    """
    before, after = load_negators().get(language, (frozenset(), frozenset()))
    head = _CLAUSE_END.split(text[:start])[-1].lower()
    if any(word in before for word in _WORD.findall(head)[-window:]):
        return True
    following = _WORD.findall(_CLAUSE_END.split(text[end:])[0].lower())[:1]
    return bool(following) and following[0] in after


def find_cue(text: str, language: str, kind: str) -> str | None:
    """The first span of ``text`` matching a ``kind`` cue of ``language``, or None.

    Negated mentions ("I don't want to cancel") are skipped. An unknown language (``und``,
    unsupported) is tried against every language's cues, since a short complaint is exactly
    where language detection is least sure.
    """
    patterns = load_cue_patterns()
    languages = [language] if language in patterns else list(SUPPORTED_LANGUAGES)
    for lang in languages:
        for pattern in patterns.get(lang, {}).get(kind, []):
            for match in pattern.finditer(text):
                if not is_negated(text, match.start(), match.end(), lang):
                    return match.group(0).strip()
    return None


def detect_cues(texts: Sequence[str], languages: Sequence[str]) -> pd.DataFrame:
    """Flag effort and churn-intent cues per record.

    Parameters
    ----------
    texts : sequence of str, length n
    languages : sequence of str, length n
        ISO 639-1 codes; anything unsupported means "try all languages".

    Returns
    -------
    DataFrame with n rows (index 0..n-1) and columns ``effort_cue`` (bool), ``churn_cue`` (bool)
    and ``cue_text`` (str or None: the matched span(s), effort first, joined with " | ").
    """
    if len(texts) != len(languages):
        raise ValueError(f"{len(texts)} texts but {len(languages)} languages")
    rows = []
    for text, lang in zip(texts, languages):
        text = text if isinstance(text, str) else ""
        lang = lang if isinstance(lang, str) else ""
        effort = find_cue(text, lang, "effort") if text else None
        churn = find_cue(text, lang, "churn") if text else None
        spans = [s for s in (effort, churn) if s]
        rows.append((effort is not None, churn is not None, " | ".join(spans) if spans else None))
    return pd.DataFrame(
        {
            "effort_cue": pd.Series([r[0] for r in rows], dtype=bool),
            "churn_cue": pd.Series([r[1] for r in rows], dtype=bool),
            # object, so a record without cues holds None rather than NaN
            "cue_text": pd.Series([r[2] for r in rows], dtype=object),
        }
    )
