"""Language identification with lingua, restricted to the languages a deployment expects.

Restricting the candidate set matters more than the detector: with all 75 languages, short Polish
complaints come back as Slovak or Croatian. The detector is built once per language set and cached,
since loading its n-gram models is the slow part (seconds); detection itself runs in lingua's
thread pool at thousands of texts per second.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Sequence

from voc.schemas import SUPPORTED_LANGUAGES, UNKNOWN_LANGUAGE

#: Candidate languages when the settings name none: the supported five plus close neighbours,
#: so Russian is not forced into Ukrainian nor Swedish into German.
DEFAULT_LANGUAGES: tuple[str, ...] = (*SUPPORTED_LANGUAGES, "ru", "sv", "es", "fr", "it", "nl", "cs")

_PLACEHOLDER = re.compile(r"\[[A-Z]+\]")


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
    fallback : code for short or unsure texts; when None, the majority language among the
        confidently detected (or explicit) texts of this call, else ``"und"``.
    hints : explicit language values (a language column), length n; a valid code wins.

    Returns
    -------
    list of str, length n
    """
    found = detect_confident(texts, languages=languages, min_chars=min_chars,
                             min_confidence=min_confidence, hints=hints)
    if fallback is None:
        fallback = majority_language([c for c in found if c])
    return [c or fallback for c in found]


def detect_confident(
    texts: Sequence[str],
    *,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    min_chars: int = 12,
    min_confidence: float = 0.5,
    hints: Sequence[str | None] | None = None,
) -> list[str | None]:
    """Like :func:`detect_languages` but None where the text is too short or the detector unsure,
    so the caller can fill those from a majority it keeps across chunks."""
    n = len(texts)
    explicit = [parse_language_code(h) for h in hints] if hints is not None else [None] * n
    cleaned = [_PLACEHOLDER.sub(" ", t).strip() for t in texts]
    todo = [i for i in range(n) if explicit[i] is None and len(cleaned[i]) >= min_chars]
    out: list[str | None] = list(explicit)
    if todo:
        detector = get_detector(tuple(languages))
        results = detector.compute_language_confidence_values_in_parallel([cleaned[i] for i in todo])
        for i, values in zip(todo, results):
            if values and values[0].value >= min_confidence:
                out[i] = values[0].language.iso_code_639_1.name.lower()
    return out


def majority_language(codes: Sequence[str]) -> str:
    """Most frequent code (ties by first seen), ``"und"`` when there is none."""
    counts = Counter(c for c in codes if c and c != UNKNOWN_LANGUAGE)
    return counts.most_common(1)[0][0] if counts else UNKNOWN_LANGUAGE
