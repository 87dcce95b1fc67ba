"""Fake personal data in each market's real formats, to exercise redaction.

Emails use reserved example domains (RFC 2606); IBANs carry valid ISO 13616 check digits so a
redactor that validates them still fires; phone numbers follow each country's mobile layout.
"""

from __future__ import annotations

from typing import Final

import numpy as np

#: Market (ISO 3166 alpha-2) per language.
MARKETS: Final[dict[str, str]] = {"pl": "PL", "fi": "FI", "uk": "UA", "en": "GB", "de": "DE"}

_LATIN_HANDLES: Final[dict[str, tuple[str, ...]]] = {
    "pl": ("anna.nowak", "p.kowalski", "kasia.wisniewska", "tomek.zielinski", "m.wojcik"),
    "fi": ("mikko.virtanen", "laura.korhonen", "j.nieminen", "anni.makinen", "antti.hamalainen"),
    "uk": ("olena.shevchenko", "a.kovalenko", "oksana.bondarenko", "dmytro.tkachenko", "i.kravchenko"),
    "en": ("james.smith", "emma.jones", "o.taylor", "sophie.brown", "harry.wilson"),
    "de": ("lukas.mueller", "anna.schmidt", "j.schneider", "lea.fischer", "felix.weber"),
}
_DOMAINS: Final = ("example.com", "example.org", "example.net", "mail.example.com")


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, size=n))


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits: 98 - (BBAN + country + '00' as digits) mod 97."""
    rearranged = bban + country + "00"
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return f"{98 - int(number) % 97:02d}"


def fake_iban(rng: np.random.Generator, country: str) -> str:
    """A checksum-valid IBAN for ``country``, grouped in fours as people type them."""
    if country == "GB":
        bban = "NWBK" + _digits(rng, 14)
    else:
        bban = _digits(rng, {"PL": 24, "FI": 14, "UA": 25, "DE": 18}[country])
    iban = country + iban_check_digits(country, bban) + bban
    if rng.random() < 0.3:
        return iban
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def fake_phone(rng: np.random.Generator, country: str) -> str:
    """A mobile number in the national or international layout of ``country``."""
    intl = rng.random() < 0.6
    if country == "PL":
        core = f"{rng.choice(['50', '60', '69', '78', '88'])}{_digits(rng, 7)}"
        groups = f"{core[:3]} {core[3:6]} {core[6:]}"
        return f"+48 {groups}" if intl else groups
    if country == "FI":
        rest = f"{_digits(rng, 3)} {_digits(rng, 4)}"
        op = str(rng.choice(["40", "44", "50"]))
        return f"+358 {op} {rest}" if intl else f"0{op} {rest}"
    if country == "UA":
        op = str(rng.choice(["50", "63", "67", "68", "93", "97"]))
        rest = f"{_digits(rng, 3)} {_digits(rng, 2)} {_digits(rng, 2)}"
        return f"+380 {op} {rest}" if intl else f"0{op} {rest}"
    if country == "GB":
        rest = f"7{_digits(rng, 3)} {_digits(rng, 6)}"
        return f"+44 {rest}" if intl else f"0{rest}"
    rest = f"15{rng.integers(1, 10)} {_digits(rng, 8)}"
    return f"+49 {rest}" if intl else f"0{rest}"


def fake_email(rng: np.random.Generator, language: str) -> str:
    handles = _LATIN_HANDLES[language]
    handle = handles[int(rng.integers(len(handles)))]
    suffix = str(int(rng.integers(1, 99))) if rng.random() < 0.5 else ""
    return f"{handle}{suffix}@{_DOMAINS[int(rng.integers(len(_DOMAINS)))]}"


def fake_order(rng: np.random.Generator, language: str) -> str:
    style = int(rng.integers(3))
    if style == 0:
        return f"#{_digits(rng, 7)}"
    if style == 1:
        prefix = {"pl": "ZAM", "fi": "TIL", "uk": "ZM", "en": "ORD", "de": "BST"}[language]
        return f"{prefix}-{_digits(rng, 6)}"
    return f"2026/{_digits(rng, 5)}"


def fake_amount(rng: np.random.Generator, language: str) -> str:
    """A money amount written the way each market writes it."""
    whole, cents = int(rng.integers(9, 400)), int(rng.integers(0, 100))
    if language == "pl":
        return f"{whole},{cents:02d} zł"
    if language == "uk":
        return f"{whole * 40} грн"
    if language == "en":
        return f"£{whole}.{cents:02d}"
    return f"{whole},{cents:02d} €"


def luhn_check_digit(digits: str) -> str:
    """The Luhn digit that makes ``digits + check`` valid (payment card numbers)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def fake_card(rng: np.random.Generator) -> str:
    """A Luhn-valid 16-digit Visa-style number, grouped as printed on cards."""
    body = "4" + _digits(rng, 14)
    number = body + luhn_check_digit(body)
    return " ".join(number[i : i + 4] for i in range(0, 16, 4))


def pesel_check_digit(first10: str) -> str:
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    return str((10 - sum(int(d) * w for d, w in zip(first10, weights)) % 10) % 10)


def fake_pesel(rng: np.random.Generator) -> str:
    """A valid Polish PESEL of someone born 1950-1999 (month coded as is for the 1900s)."""
    year, month, day = int(rng.integers(50, 100)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
    first10 = f"{year:02d}{month:02d}{day:02d}{_digits(rng, 4)}"
    return first10 + pesel_check_digit(first10)


_HETU_CHECK: Final = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def hetu_check_char(ddmmyy: str, individual: str) -> str:
    return _HETU_CHECK[int(ddmmyy + individual) % 31]


def fake_hetu(rng: np.random.Generator) -> str:
    """A valid Finnish henkilötunnus of someone born 1950-1999 ('-' marks the 1900s)."""
    ddmmyy = f"{int(rng.integers(1, 29)):02d}{int(rng.integers(1, 13)):02d}{int(rng.integers(50, 100)):02d}"
    individual = f"{int(rng.integers(2, 900)):03d}"
    return f"{ddmmyy}-{individual}{hetu_check_char(ddmmyy, individual)}"
