"""Text normalisation applied before hashing, redaction and language detection.

Exports from CRMs, spreadsheets and survey tools disagree on Unicode composition (``ó`` as one code
point or ``o`` + combining accent), sprinkle zero-width and control characters and wrap lines at
random. Without one canonical form the same comment hashes differently and escapes deduplication.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

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
    # each step can expose work for another (a repaired sequence may hold a zero-width space,
    # a removed control may make a garbled run repairable), so repeat to a fixed point
    for _ in range(4):
        cleaned = _normalise_once(text)
        if cleaned == text:
            break
        text = cleaned
    return text


def _normalise_once(text: str) -> str:
    text = _CONTROL_RE.sub("", _INVISIBLE_RE.sub("", text))
    text = repair_mojibake(_WHITESPACE_RE.sub(" ", text))
    text = unicodedata.normalize("NFC", text)
    return _WHITESPACE_RE.sub(" ", text).strip()


# Lead characters of UTF-8 read as cp1252/cp1250/cp1251 ("Ã³" for "ó", "Å¼"/"Ĺź" for "ż",
# "Ð´"/"Рґ" for "д").
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00df\u0412-\u042f\u0102\u0139\u0143\u0147\u0150\u0158\u016e\u0170\u0154\u010e\u0110\u00e2]"
)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that an upstream system decoded as cp1252, cp1250 or cp1251 (``ZamÃ³wienie``).

    Only a text whose every character maps back to bytes forming valid UTF-8 is repaired; real
    accented text essentially never does (an accented capital would have to be followed by a
    symbol such as ``«`` or ``³``), so correct text is left alone. Repeated until stable, for
    text garbled twice.
    """
    for _ in range(3):
        if text.isascii() or not _MOJIBAKE_HINT.search(text):
            return text
        for encoding in ("cp1252", "cp1250", "cp1251"):
            try:
                fixed = text.encode(encoding).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if fixed != text:
                text = fixed
                break
        else:
            return text
    return text


def normalise_texts(texts: Iterable[str | None]) -> list[str]:
    """:func:`normalise_text` over many texts, in order."""
    return [normalise_text(t) for t in texts]
