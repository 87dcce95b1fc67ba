"""Redaction of each kind of personal data, and of nothing else."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voc.ingest.pii import REGISTRY, Redactor, hetu_valid, iban_valid, luhn_valid, pesel_valid, redact_text, register


def _pesel_with_check(first10: str) -> str:
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    check = (10 - sum(int(d) * w for d, w in zip(first10, weights)) % 10) % 10
    return first10 + str(check)


@pytest.mark.parametrize(
    ("text", "placeholder"),
    [
        ("Proszę pisać na jan.kowalski@example.pl, dzięki", "[EMAIL]"),
        ("call me on +48 600 700 800", "[PHONE]"),
        ("mój numer 600-700-800", "[PHONE]"),
        ("soita 040 123 4567 kiitos", "[PHONE]"),
        ("телефон (067) 123-45-67", "[PHONE]"),
        ("Rückruf unter 030 12345678 bitte", "[PHONE]"),
        ("ring 07700 900123 or +44 (0)20 7946 0958", "[PHONE]"),
        ("tel. 600700800", "[PHONE]"),
        ("refund to PL61 1090 1014 0000 0712 1981 2874 please", "[IBAN]"),
        ("IBAN DE89370400440532013000", "[IBAN]"),
        ("tilille FI21 1234 5600 0007 85", "[IBAN]"),
        ("konto 61 1090 1014 0000 0712 1981 2874", "[IBAN]"),
        ("card 4111 1111 1111 1111 was charged twice", "[CARD]"),
        ("amex 3782-822463-10005", "[CARD]"),
        ("karta 5555555555554444", "[CARD]"),
        ("mój PESEL to 44051401359", "[PESEL]"),
        ("hetu 131052-308T", "[HETU]"),
        ("reset link https://shop.example.com/reset?token=abc123XYZ&u=5 expired", "[URL]"),
        ("see https://bob:hunter2@files.example.com/report", "[URL]"),
    ],
)
def test_each_kind_is_redacted(text, placeholder):
    redacted, n = redact_text(text)
    assert placeholder in redacted and n >= 1
    assert not re.search(r"\d{3}", redacted.replace("(0)", "")), redacted


@pytest.mark.parametrize(
    "text",
    [
        "Order 12345 cost 1 299,99 zł and arrived on 2024-03-15",
        "Zamówienie nr 0012345 z dnia 15.03.2024, kod 00-950 Warszawa",
        "card 4111 1111 1111 1112 (wrong Luhn digit)",
        "ticket 12345678901 is still open",
        "henkilötunnus 131052-308A on väärin",
        "IBAN PL61 1090 1014 0000 0712 1981 2875",
        "read the FAQ at https://example.com/help?page=2&lang=pl",
        "price went from 19.99 to 24.99 EUR, 3 times in 2024",
    ],
)
def test_ordinary_numbers_are_kept(text):
    assert redact_text(text) == (text, 0)


def test_checksums():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid("GB82 WEST 1234 5698 7654 33")
    assert hetu_valid("131052-308T") and not hetu_valid("131052-308U")
    assert pesel_valid(_pesel_with_check("0207080362"))
    assert not pesel_valid("12345678901")
    assert not pesel_valid(_pesel_with_check("9913990000"))  # month 13, day 99: no such date


def test_valid_pesel_built_here_is_redacted_and_counted():
    pesel = _pesel_with_check("8512310123")
    text, n = redact_text(f"PESEL {pesel}, tel +358 40 1234567, mail a@b.fi")
    assert text == "PESEL [PESEL], tel [PHONE], mail [EMAIL]" and n == 3


def test_register_adds_a_kind_and_kinds_selects():
    @register("test_ticket", placeholder="[TICKET]", pattern=r"TCK-\d{6}")
    def _ok(match: str) -> bool:
        return match.endswith("7")

    try:
        assert isinstance(REGISTRY["test_ticket"], Redactor)
        assert redact_text("TCK-123457 and TCK-123456") == ("[TICKET] and TCK-123456", 1)
        assert redact_text("a@b.fi TCK-123457", kinds=["email"]) == ("[EMAIL] TCK-123457", 1)
    finally:
        del REGISTRY["test_ticket"]


_PII_PIECES = st.sampled_from(
    [
        "jan@example.pl",
        "+48 600 700 800",
        "040 123 4567",
        "4111 1111 1111 1111",
        "44051401359",
        "131052-308T",
        "PL61 1090 1014 0000 0712 1981 2874",
        "https://x.example.com/a?token=abc",
        "tel. 600700800",
        "12345",
        "2024-03-15",
        "(0)",
        "-",
        " ",
        "+",
        "00",
        "tel:",
        "[EMAIL]",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(_PII_PIECES, st.text(alphabet="0123456789 +-()./@:telabc", max_size=12), st.text(max_size=8)),
        max_size=8,
    ).map("".join)
)
def test_redaction_is_idempotent(text):
    once, _ = redact_text(text)
    assert redact_text(once) == (once, 0)
