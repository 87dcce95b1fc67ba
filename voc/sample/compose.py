"""Turn chosen theme sentences into one customer's text in a given register.

A register is how the words reach us: a ``review`` on the web, a formal ``email`` complaint, a
``chat`` message (lower case, no final stop, Polish often typed without diacritics), a short
survey ``comment``, or an agent's ``note`` of a phone call. Wrappers (greetings, context, closings,
contact details) carry no theme, so the planted truth stays the list of theme sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from voc.sample import pii
from voc.sample.catalog import THEME_BY_ID
from voc.sample.phrases import BANKS

REGISTERS: Final[tuple[str, ...]] = ("review", "email", "chat", "comment", "note")

_PL_ASCII: Final = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
_EN_KEEP_CAPITAL: Final = re.compile(r"^(I|I'm|I've|I'd|I'll)\b")
#: German sentence openers that are not nouns (nor the formal "Sie"), so may be lowered
_DE_LOWERABLE: Final = frozenset(
    [
        "Ich",
        "Es",
        "Mein",
        "Meine",
        "Mir",
        "Die",
        "Der",
        "Das",
        "Dem",
        "Den",
        "Ein",
        "Eine",
        "Seit",
        "Nach",
        "Wie",
        "Warum",
        "Um",
        "Laut",
        "Für",
        "Schon",
        "Wieder",
        "Toll",
        "Super",
        "Nett",
        "Auf",
        "Man",
        "Jemand",
        "Fremde",
        "Telefonisch",
        "Danke",
        "Eigentlich",
        "Insgesamt",
        "Alles",
        "Von",
        "Geht",
        "War",
    ]
)
_SLOT: Final = re.compile(r"\{(order|amount|email|phone|iban|card|pesel|hetu|name)\}")


@dataclass
class Composed:
    """A composed text and the kinds of personal data or identifiers planted in it."""

    text: str
    pii: list[str] = field(default_factory=list)
    typo: bool = False


def pick(rng: np.random.Generator, items: list[str] | tuple[str, ...]) -> str:
    """One item, uniformly; a thin helper so every draw goes through the seeded generator."""
    return items[int(rng.integers(len(items)))]


def lower_first(sentence: str, language: str) -> str:
    """Lower the first letter so the sentence can follow a connector ("Also, the app ...").

    German nouns, the formal "Sie" and English "I" keep their capital; so do acronyms and slots.
    """
    if not sentence or sentence[0] == "{":
        return sentence
    if language == "de":
        first = sentence.split(" ", 1)[0]
        return sentence[0].lower() + sentence[1:] if first in _DE_LOWERABLE else sentence
    if language == "en" and _EN_KEEP_CAPITAL.match(sentence):
        return sentence
    if len(sentence) > 1 and sentence[1].isupper():
        return sentence
    return sentence[0].lower() + sentence[1:]


def add_typo(text: str, rng: np.random.Generator) -> str:
    """Swap two neighbouring letters inside one longer word, as fast typists do."""
    # letters only: a typo inside an IBAN or order number would change what redaction must find
    words = list(re.finditer(r"(?<!\w)[^\W\d_]{6,}(?!\w)", text))
    if not words:
        return text
    word = words[int(rng.integers(len(words)))]
    i = word.start() + int(rng.integers(1, len(word.group()) - 2))
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


class TextComposer:
    """Compose texts in one language from its phrase bank.

    Parameters
    ----------
    language : str
        One of pl, fi, uk, en, de.
    """

    def __init__(self, language: str) -> None:
        self.language = language
        self.market = pii.MARKETS[language]
        self.bank = BANKS[language]

    def core(self, rng: np.random.Generator, theme: str) -> str:
        return pick(rng, self.bank.THEMES[theme])

    def generic(self, rng: np.random.Generator, role: str) -> str:
        return pick(rng, self.bank.GENERIC[role])

    def compose(
        self,
        rng: np.random.Generator,
        sentences: list[str],
        *,
        register: str,
        tone: str,
        themes: list[str] | None = None,
        contact: str | None = None,
        context_p: float = 0.25,
        typo_p: float = 0.05,
    ) -> Composed:
        """Wrap ``sentences`` (already chosen, slots unfilled) in ``register``.

        Parameters
        ----------
        sentences : list of str
            Body sentences in order; theme sentences and theme-less ones alike.
        register : {"review", "email", "chat", "comment", "note"}
        tone : {"positive", "negative", "neutral"}
            Overall tone, choosing closings ("Not recommended.") that must not contradict it.
        themes : list of str, optional
            Theme of each body sentence (None for theme-less), to join two complaints with a
            connector ("On top of that, ...") only where both are negative.
        contact : {"email", "phone", "iban", "card", "national_id"}, optional
            Append a sentence with that personal datum, to exercise redaction (``national_id``
            only where the bank has ``contact_national_id``: PESEL, henkilötunnus).
        """
        if register not in REGISTERS:
            raise ValueError(f"unknown register {register!r}; expected one of {REGISTERS}")
        g = self.bank.GENERIC
        greeting: str | None = None
        if register == "email":
            greeting = pick(rng, g["greeting"])
        elif register == "chat" and rng.random() < 0.5:
            greeting = pick(rng, g["chat_greeting"])
        head: list[str] = []
        if register in ("email", "review", "chat", "note") and rng.random() < context_p:
            head.append(pick(rng, g["context"]))
        body = self._join_body(rng, sentences, themes)
        if (greeting or head) and body:
            body[0] = body[0][:1].upper() + body[0][1:]
        tail: list[str] = []
        if register == "email" and tone == "negative" and rng.random() < 0.7:
            tail.append(pick(rng, g["complaint_close"]))
        if register == "review" and tone != "neutral" and rng.random() < 0.4:
            tail.append(pick(rng, g["review_pos_close" if tone == "positive" else "review_neg_close"]))
        if contact is not None:
            tail.append(pick(rng, g[f"contact_{contact}"]))
        sign = pick(rng, g["signoff"]) if register == "email" and rng.random() < 0.8 else None
        text = self._layout(rng, register, greeting, head + body + tail, sign)
        slots = {m.group(1) for m in _SLOT.finditer(text)} - {"name", "amount"}
        kinds = sorted({"national_id" if s in ("pesel", "hetu") else s for s in slots})
        text = self._fill(rng, text)
        typo = bool(rng.random() < typo_p)
        if typo:
            text = add_typo(text, rng)
        return Composed(self._style(rng, text, register), kinds, typo)

    def _join_body(self, rng: np.random.Generator, sentences: list[str], themes: list[str] | None) -> list[str]:
        out: list[str] = []
        for i, sentence in enumerate(sentences):
            both_negative = (
                themes is not None
                and i > 0
                and themes[i] is not None
                and themes[i - 1] is not None
                and THEME_BY_ID[themes[i]].polarity == "negative"
                and THEME_BY_ID[themes[i - 1]].polarity == "negative"
            )
            # a connector in front of a two-sentence (often sarcastic) core reads badly
            if both_negative and ". " not in sentence and rng.random() < 0.5:
                connector = pick(rng, self.bank.GENERIC["connector"])
                sentence = connector.format(s=lower_first(sentence, self.language), S=sentence)
            elif i > 0:
                # a core typed in lower case ("parcel late again") reads as such only on its own
                sentence = sentence[:1].upper() + sentence[1:]
            out.append(sentence)
        return out

    def _layout(
        self, rng: np.random.Generator, register: str, greeting: str | None, rest: list[str], sign: str | None
    ) -> str:
        if register == "email" and rng.random() < 0.5:
            # real e-mails arrive with line breaks; CSV quoting must carry them
            blocks = [greeting or "", " ".join(rest), sign or ""]
            return "\n".join(b for b in blocks if b)
        if greeting and rest:
            # "Hello, the parcel ..." on one line continues the greeting's sentence
            rest[0] = lower_first(rest[0], self.language)
        return " ".join(([greeting] if greeting else []) + rest + ([sign] if sign else []))

    def _fill(self, rng: np.random.Generator, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            slot = match.group(1)
            if slot == "order":
                return pii.fake_order(rng, self.language)
            if slot == "amount":
                return pii.fake_amount(rng, self.language)
            if slot == "email":
                return pii.fake_email(rng, self.language)
            if slot == "phone":
                return pii.fake_phone(rng, self.market)
            if slot == "iban":
                return pii.fake_iban(rng, self.market)
            if slot == "card":
                return pii.fake_card(rng)
            if slot == "pesel":
                return pii.fake_pesel(rng)
            if slot == "hetu":
                return pii.fake_hetu(rng)
            return pick(rng, self.bank.NAMES)

        return _SLOT.sub(value, text)

    def _style(self, rng: np.random.Generator, text: str, register: str) -> str:
        if register == "chat":
            if rng.random() < 0.7:
                text = text.lower()
            text = text.rstrip(".")
            if self.language == "pl" and rng.random() < 0.35:
                text = text.translate(_PL_ASCII)
        elif register == "comment" and rng.random() < 0.2:
            text = text.rstrip(".")
        return text
