"""Find sentence units that carry no customer issue: greetings, sign-offs and contact-detail lines.

Emails and tickets wrap every complaint in "Dear Sir or Madam," and "Kind regards, Anna". Left in,
these sentences are the most frequent "theme" of any inbox and push real issues down the list, so
they are kept in the store and scored for sentiment, but left out of theme discovery. Bare verdicts
("Never again.", "Recommended!") fall here too: they carry sentiment but name no issue.

A unit is boilerplate when, after removing salutation/closing formulas, redaction placeholders,
stop words and numbers, at most one content word remains — or when it carries a placeholder
(``[EMAIL]``, ``[PHONE]``, ...) and only contact vocabulary besides.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np

#: Salutation and closing formulas per language (lower case, matched as phrases).
FORMULAS: dict[str, tuple[str, ...]] = {
    "en": (
        "dear sir or madam",
        "to whom it may concern",
        "good morning",
        "good afternoon",
        "good evening",
        "kind regards",
        "best regards",
        "warm regards",
        "best wishes",
        "regards",
        "many thanks",
        "thanks in advance",
        "thank you in advance",
        "yours sincerely",
        "yours faithfully",
        "sincerely",
        "hello",
        "hi there",
        "hey there",
        "hi",
        "hey",
        "dear",
        "cheers",
        "thanks",
        "thank you",
    ),
    "pl": (
        "szanowni państwo",
        "szanowna pani",
        "szanowny panie",
        "dzień dobry",
        "dobry wieczór",
        "z poważaniem",
        "serdecznie pozdrawiam",
        "pozdrawiam serdecznie",
        "pozdrawiam",
        "pozdrowienia",
        "z góry dziękuję",
        "dziękuję z góry",
        "witam",
        "cześć",
        "hej",
        "dziękuję",
        "dzięki",
    ),
    "fi": (
        "hyvää päivää",
        "hyvää huomenta",
        "hyvä vastaanottaja",
        "ystävällisin terveisin",
        "parhain terveisin",
        "terveisin",
        "kiitos jo etukäteen",
        "kiitos etukäteen",
        "hei",
        "moi",
        "moikka",
        "terve",
        "kiitos",
    ),
    "uk": (
        "шановні пані та панове",
        "шановний",
        "шановна",
        "шановні",
        "добрий день",
        "доброго дня",
        "добрий вечір",
        "з повагою",
        "щиро дякую",
        "дякую заздалегідь",
        "заздалегідь дякую",
        "вітаю",
        "привіт",
        "дякую",
        "всього найкращого",
    ),
    "de": (
        "sehr geehrte damen und herren",
        "sehr geehrte",
        "sehr geehrter",
        "guten tag",
        "guten morgen",
        "guten abend",
        "mit freundlichen grüßen",
        "freundliche grüße",
        "viele grüße",
        "liebe grüße",
        "beste grüße",
        "vielen dank im voraus",
        "danke im voraus",
        "hallo",
        "servus",
        "moin",
        "mfg",
        "lg",
        "vielen dank",
        "danke",
    ),
}

#: Words that only say how to reach the customer (a placeholder plus these is a contact line).
CONTACT_WORDS: frozenset[str] = frozenset(
    [
        "email",
        "e-mail",
        "mail",
        "address",
        "phone",
        "number",
        "call",
        "back",
        "reply",
        "contact",
        "card",
        "account",
        "iban",
        "telefon",
        "numer",
        "adres",
        "konto",
        "karta",
        "kartę",
        "zwrot",
        "oddzwonić",
        "odpowiedź",
        "proszę",
        "mój",
        "moja",
        "moje",
        "sähköposti",
        "sähköpostini",
        "puhelin",
        "puhelinnumero",
        "numero",
        "numeroni",
        "tili",
        "tilille",
        "kortti",
        "soittakaa",
        "vastatkaa",
        "пошта",
        "пошту",
        "пошти",
        "телефон",
        "номер",
        "рахунок",
        "рахунку",
        "картка",
        "карткою",
        "зателефонуйте",
        "відповідайте",
        "мій",
        "моя",
        "telefonnummer",
        "nummer",
        "konto",
        "karte",
        "rückruf",
        "antwort",
        "adresse",
        "bitte",
        "meine",
        "mein",
        "zurückrufen",
    ]
)

_PLACEHOLDER = re.compile(r"\[[A-Z]{2,10}\]")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)


@functools.cache
def _stop_words(language: str) -> frozenset[str]:
    try:
        module = __import__(f"spacy.lang.{language}.stop_words", fromlist=["STOP_WORDS"])
    except ImportError:
        return frozenset()
    return frozenset(module.STOP_WORDS)


@functools.cache
def _formula_pattern(language: str) -> re.Pattern[str]:
    phrases = sorted({*FORMULAS.get(language, ()), *FORMULAS["en"]}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)")


def _content_words(text: str, language: str) -> tuple[list[str], bool]:
    lowered = text.lower()
    has_placeholder = bool(_PLACEHOLDER.search(text))
    lowered = _formula_pattern(language).sub(" ", _PLACEHOLDER.sub(" ", lowered))
    stop = _stop_words(language) | _stop_words("en")
    return [w for w in _WORD.findall(lowered) if len(w) > 1 and w not in stop], has_placeholder


def is_boilerplate(texts: Sequence[str], languages: Sequence[str]) -> np.ndarray:
    """Flag units that carry no issue.

    Parameters
    ----------
    texts : sequence of str, length n
    languages : sequence of str, length n
        ISO 639-1 codes; unknown codes fall back to the English formulas.

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    flags = np.zeros(len(texts), dtype=bool)
    for i, (text, language) in enumerate(zip(texts, languages)):
        words, has_placeholder = _content_words(text or "", str(language))
        if len(words) <= 1 or has_placeholder and len([w for w in words if w not in CONTACT_WORDS]) <= 1:
            flags[i] = True
    return flags
