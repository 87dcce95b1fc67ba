"""Text normalisation applied before hashing, redaction and language detection.

Exports from CRMs, spreadsheets and survey tools disagree on Unicode composition (``ó`` as one code
point or ``o`` + combining accent), sprinkle zero-width and control characters and wrap lines at
random. Without one canonical form the same comment hashes differently and escapes deduplication.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

# Invisible format characters that carry no meaning in feedback text. ZWJ (U+200D) is kept
# because it glues emoji sequences together.
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\ufeff"
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
# C0/C1 controls other than whitespace controls (those become spaces with the rest of the
# whitespace below).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_WHITESPACE_RE = re.compile(r"\s+")


def normalise_text(text: str | None) -> str:
    """Return ``text`` in NFC with controls removed and whitespace runs collapsed to one space.

    Idempotent: ``normalise_text(normalise_text(t)) == normalise_text(t)``. ``None`` gives ``""``.
    Line breaks are collapsed too, since downstream steps split sentences on punctuation and a
    stored record should look the same whatever tool exported it.
    """
    if not text:
        return ""
    text = _CONTROL_RE.sub("", _INVISIBLE_RE.sub("", text))
    text = unicodedata.normalize("NFC", text)
    return _WHITESPACE_RE.sub(" ", text).strip()


def normalise_texts(texts: Iterable[str | None]) -> list[str]:
    """:func:`normalise_text` over many texts, in order."""
    return [normalise_text(t) for t in texts]
