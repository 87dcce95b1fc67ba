"""Language identification with lingua, restricted to the languages a deployment expects.

Restricting the candidate set matters more than the detector: with all 75 languages, short Polish
complaints come back as Slovak or Croatian. The detector is built once per language set and cached,
since loading its n-gram models is the slow part (seconds); detection itself runs in lingua's
thread pool at thousands of texts per second.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from voc.schemas import SUPPORTED_LANGUAGES, UNKNOWN_LANGUAGE

#: Candidate languages when the settings name none: the supported five plus close neighbours,
#: so Russian is not forced into Ukrainian nor Swedish into German.
DEFAULT_LANGUAGES: tuple[str, ...] = (*SUPPORTED_LANGUAGES, "ru", "sv", "es", "fr", "it", "nl", "cs")

_PLACEHOLDER = re.compile(r"\[[A-Z]+\]")
#: characters of a text given to the detector
MAX_CHARS = 600
#: confidence a text shorter than ``min_chars`` needs; on the 148 short answers of the sample,
#: answers above 0.7 were all right and those below were mostly wrong
SHORT_TEXT_CONFIDENCE = 0.9
_LETTER = re.compile(r"[^\W\d_]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


@lru_cache(maxsize=8)
def get_detector(languages: tuple[str, ...] = DEFAULT_LANGUAGES):  # -> lingua.LanguageDetector
    """The lingua detector for ``languages`` (ISO 639-1 codes), built once per set.

    Raises
    ------
    ValueError
        For a code lingua does not know.
    """
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = []
    for code in languages:
        try:
            codes.append(getattr(IsoCode639_1, code.upper()))
        except AttributeError:
            raise ValueError(f"unknown language code '{code}' in the language set {list(languages)}") from None
    if len(codes) < 2:
        raise ValueError("language detection needs at least two candidate languages")
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


@lru_cache(maxsize=1)
def _known_codes() -> dict[str, str]:
    """Spellings of every language lingua knows -> ISO 639-1 (``pl``, ``pol``, ``polish``)."""
    from lingua import Language

    table: dict[str, str] = {}
    for lang in Language.all():
        iso1 = lang.iso_code_639_1.name.lower()
        table[iso1] = iso1
        table[lang.iso_code_639_3.name.lower()] = iso1
        table[lang.name.lower()] = iso1
    table.update({"ua": "uk", "ukr": "uk", "nb": "nb", "no": "nb", "nor": "nb", "ger": "de", "cze": "cs"})
    return table


def parse_language_code(value: str | None) -> str | None:
    """An explicit language value as ISO 639-1, or None when it is not a real code.

    Accepts ``"pl"``, ``"PL"``, ``"pl-PL"``, ``"de_DE"``, ``"pol"``, ``"Polish"``.
    """
    if not value:
        return None
    head = re.split(r"[-_ ]", value.strip().lower(), maxsplit=1)[0]
    table = _known_codes()
    return table.get(head) or table.get(value.strip().lower())


def detect_languages(
    texts: Sequence[str],
    *,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    min_chars: int = 12,
    min_confidence: float = 0.5,
    fallback: str | None = None,
    hints: Sequence[str | None] | None = None,
) -> list[str]:
    """ISO 639-1 code per text.

    Parameters
    ----------
    texts : sequence of str, length n
        Normalised (and usually redacted) texts; placeholders such as ``[EMAIL]`` are ignored.
    languages : ISO 639-1 codes the detector may answer.
    min_chars : texts shorter than this get the fallback, detectors guess on a handful of letters.
    min_confidence : lingua's relative confidence of the top language needed to trust it.
    fallback : code for unsure texts; when None, the majority language among the confidently
        detected (or explicit) texts of this call in the same script, else ``"und"``. Texts
        without letters are always ``"und"``.
    hints : explicit language values (a language column), length n; a valid code wins.

    Returns
    -------
    list of str, length n
    """
    found = detect_confident(
        texts, languages=languages, min_chars=min_chars, min_confidence=min_confidence, hints=hints
    )
    if fallback is not None:
        return [c or (fallback if _LETTER.search(t) else UNKNOWN_LANGUAGE) for c, t in zip(found, texts)]
    tally = LanguageTally()
    tally.update(texts, found)
    return [c or tally.fallback(t) for c, t in zip(found, texts)]


class LanguageTally:
    """Confident detections counted per script, the fallback for unsure texts of that script.

    Keeping the count per script means a short Cyrillic answer in a mixed export becomes the
    export's main Cyrillic language, not its overall majority (which may be German).
    """

    def __init__(self) -> None:
        self.counts_: dict[str | None, Counter] = {}

    def update(self, texts: Sequence[str], codes: Sequence[str | None]) -> None:
        """Count the confident ``codes`` (None = unsure) of ``texts`` (both length n)."""
        for text, code in zip(texts, codes):
            if code and code != UNKNOWN_LANGUAGE:
                self.counts_.setdefault(text_script(text), Counter())[code] += 1

    def fallback(self, text: str) -> str:
        """The majority language of ``text``'s script so far; "und" without letters or counts."""
        script = text_script(text)
        if script is None:
            return UNKNOWN_LANGUAGE
        counts = self.counts_.get(script)
        return counts.most_common(1)[0][0] if counts else UNKNOWN_LANGUAGE


def detect_confident(
    texts: Sequence[str],
    *,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    min_chars: int = 12,
    min_confidence: float = 0.5,
    short_confidence: float = SHORT_TEXT_CONFIDENCE,
    hints: Sequence[str | None] | None = None,
) -> list[str | None]:
    """Like :func:`detect_languages` but None where the detector is unsure, so the caller can
    fill those from a majority it keeps across chunks.

    Texts shorter than ``min_chars`` are still tried but need ``short_confidence``: most short
    answers ("ok", "Нормально") are ambiguous, yet some are not ("Może być", "Ei kommentoitavaa").
    """
    n = len(texts)
    explicit = [parse_language_code(h) for h in hints] if hints is not None else [None] * n
    # the head of a long ticket tells its language as well as the whole; detection time grows
    # with length
    cleaned = [_PLACEHOLDER.sub(" ", t[: MAX_CHARS + 20]).strip()[:MAX_CHARS] for t in texts]
    todo = [i for i in range(n) if explicit[i] is None and _LETTER.search(cleaned[i])]
    out: list[str | None] = list(explicit)
    if todo:
        unique = list(dict.fromkeys(cleaned[i] for i in todo))  # repeated answers are common
        detector = get_detector(tuple(languages))
        results = detector.compute_language_confidence_values_in_parallel(unique)
        best = {}
        for text, values in zip(unique, results):
            needed = min_confidence if len(text) >= min_chars else max(short_confidence, min_confidence)
            if values and values[0].value >= needed:
                best[text] = values[0].language.iso_code_639_1.name.lower()
        for i in todo:
            out[i] = best.get(cleaned[i])
    return out


def text_script(text: str) -> str | None:
    """ "cyrillic", "latin", "other" or None (no letters): short texts fall back within a script."""
    if _CYRILLIC.search(text):
        return "cyrillic"
    if _LATIN.search(text):
        return "latin"
    return "other" if _LETTER.search(text) else None


def majority_language(codes: Sequence[str]) -> str:
    """Most frequent code (ties by first seen), ``"und"`` when there is none."""
    counts = Counter(c for c in codes if c and c != UNKNOWN_LANGUAGE)
    return counts.most_common(1)[0][0] if counts else UNKNOWN_LANGUAGE
