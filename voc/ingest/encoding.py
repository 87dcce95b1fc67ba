"""Text encoding detection for CSV/JSON exports: UTF-8 first, else the legacy code page whose
decoding reads as real words.

Legacy 8-bit files are "valid" in every 8-bit code page, so decoding never fails; it just yields
mojibake (``Espańa`` for ``España``, ``³ódŸ`` for ``łódź``). Generic detectors (charset-normalizer
included) cannot tell cp1250 from cp1252 on short comments, so candidates are judged here by
letters: for each line, the share of its non-ASCII letters that one real language uses together.
Spanish ``ñ í é`` fit Spanish, while cp1250's ``ń í é`` fit no single language; Polish ``ł ż ś``
fit Polish, while cp1252's ``³ ¿ œ`` are not even letters. When no candidate reads well the
caller is told to set the encoding instead of getting mojibake.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from pathlib import Path

from voc.ingest.errors import IngestError

log = logging.getLogger(__name__)

#: Legacy code pages tried, in order of preference on a tie (ties decode letters identically).
LEGACY_ENCODINGS: tuple[str, ...] = ("cp1250", "cp1252", "iso8859_2", "cp1251", "latin_1")

#: Non-ASCII letters used together by one language (lower case). Cyrillic ones list the full
#: alphabet since all of it is non-ASCII.
LETTER_SETS: dict[str, str] = {
    "pl": "ąćęłńóśźż",
    "cs": "áčďéěíňóřšťúůýž",
    "sk": "áäčďéíĺľňóôŕšťúýž",
    "hu": "áéíóöőúüű",
    "sl": "čćđšž",
    "ro": "ăâîșțşţ",
    "de": "äöüß",
    "fi": "äöåšž",
    "sv": "åäöé",
    "da": "æøåé",
    "fr": "àâæçéèêëîïôœùûüÿ",
    "es": "áéíóúñü",
    "it": "àèéìíîòóù",
    "pt": "áâãàçéêíóôõú",
    "nl": "éëïöüèáó",
    "et": "äöõüšž",
    "lt": "ąčęėįšųūž",
    "lv": "āčēģīķļņšūž",
    "tr": "çğıöşüâî",
    "is": "áðéíóúýþæö",
    "uk": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "bg": "абвгдежзийклмнопрстуфхцчшщъьюя",
}
_SETS = [frozenset(s) for s in LETTER_SETS.values()]
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ODD_CASE = re.compile(r"(?<=[^\W\d_])[^\x00-\x7f]")
#: a UTF-8 file may have up to this share of corrupted lines (quarantined) before another
#: encoding is considered: legacy code-page text is almost never valid UTF-8 on any line
MAX_BAD_LINE_SHARE = 0.05
#: decoded text below this share of plausible letters is refused rather than stored
MIN_PLAUSIBLE = 0.6


def detect_encoding(path: str | Path, *, sample_bytes: int = 256_000) -> str:
    """The text encoding of ``path``: a BOM, else strict UTF-8, else the most plausible code page.

    Raises
    ------
    IngestError
        Naming the file when no candidate decodes it into plausible letters.
    """
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _is_utf8(path):
        return "utf-8"
    valid, invalid, total = _utf8_line_counts(path)
    if valid > 0 and invalid <= max(1, MAX_BAD_LINE_SHARE * valid):
        # UTF-8 with a few corrupted lines: those lines go to quarantine, the rest is read as is
        log.warning("%s: UTF-8 with %d lines of invalid bytes (quarantined)", path, invalid)
        return "utf-8"
    sample = _non_ascii_lines(path, sample_bytes)
    encoding, share = best_legacy_encoding(sample)
    if (encoding is None or share < MIN_PLAUSIBLE) and valid == 0 and invalid <= MAX_BAD_LINE_SHARE * total:
        # plain ASCII but for a stray byte or two: not a legacy code page, just damage
        log.warning("%s: ASCII with %d lines of invalid bytes (quarantined)", path, invalid)
        return "utf-8"
    if encoding is None or share < MIN_PLAUSIBLE:
        # not a European code page that reads well: let charset-normalizer search every codec
        # it knows (Greek, Baltic, CJK, ...) and take its answer only if it reads cleanly
        guess = _charset_normalizer_guess(sample)
        if guess is None:
            raise IngestError(
                f"cannot tell the text encoding: not UTF-8, and as {encoding} only {share:.0%} of the "
                f"accented letters make sense; set `encoding`",
                file=str(path),
            )
        encoding, share = guess, float("nan")
    log.info("%s: detected encoding %s (%.0f%% plausible letters)", path, encoding, 100 * share)
    return encoding


def best_legacy_encoding(sample: bytes) -> tuple[str | None, float]:
    """(encoding, share of plausible non-ASCII letters) of the best candidate for ``sample``.

    ``share`` is 1.0 when the sample has no non-ASCII letters at all under the winner.
    """
    scored = []
    for rank, encoding in enumerate(LEGACY_ENCODINGS):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        score, share = plausibility(text)
        scored.append((score, -rank, share, encoding))
    if not scored:
        return None, 0.0
    _, _, share, encoding = max(scored)
    return codecs.lookup(encoding).name, share


def plausibility(text: str) -> tuple[float, float]:
    """(score, share) of ``text``: per line, letters one language explains minus the rest.

    Control characters (C1 bytes decoded by latin-1/ISO-8859-2) count against the candidate.
    """
    score, fitting, total = 0.0, 0, 0
    for line in text.splitlines():
        chars = _NON_ASCII.findall(line)
        if not chars:
            continue
        letters = [c.lower() for c in chars if c.isalpha()]
        controls = sum(1 for c in chars if unicodedata.category(c) == "Cc")
        # a capital inside a lower-case word ("рбсбггелЯб") is the mark of a wrong code page
        # within one script, e.g. Greek or KOI8 bytes read as cp1251
        odd_case = sum(1 for m in _ODD_CASE.finditer(line) if m.group().isupper() and line[m.start() - 1].islower())
        fit = max((sum(c in s for c in letters) for s in _SETS), default=0)
        fit = max(fit - odd_case, 0)
        score += fit - (len(letters) - fit) - 2 * controls
        fitting += fit
        total += len(letters) + controls
    return score, (fitting / total if total else 1.0)


def _charset_normalizer_guess(sample: bytes, *, max_chaos: float = 0.1) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None or best.chaos > max_chaos:
        return None
    return codecs.lookup(best.encoding).name


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        with path.open("rb") as fh:
            while block := fh.read(1 << 16):  # small blocks: memory stays flat on a large file
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _utf8_line_counts(path: Path) -> tuple[int, int, int]:
    """(non-ASCII lines valid as UTF-8, lines not valid as UTF-8, all lines)."""
    valid = invalid = total = 0
    with path.open("rb") as fh:
        for line in fh:
            total += 1
            if max(line, default=0) < 0x80:
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                invalid += 1
            else:
                valid += 1
    return valid, invalid, total


def _non_ascii_lines(path: Path, limit: int) -> bytes:
    """The lines holding non-ASCII bytes, up to ``limit`` bytes: the only ones that tell encodings apart."""
    kept: list[bytes] = []
    size = 0
    with path.open("rb") as fh:
        for line in fh:
            if max(line, default=0) >= 0x80:
                kept.append(line)
                size += len(line)
                if size >= limit:
                    break
    return b"".join(kept)
