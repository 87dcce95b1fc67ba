from __future__ import annotations

import re

import numpy as np

from voc.sample.catalog import THEME_IDS
from voc.sample.compose import TextComposer, add_typo, lower_first
from voc.sample.phrases import BANKS, MIN_CORES, check_banks

LETTERS = {
    "pl": "ąćęłńóśźż",
    "fi": "äö",
    "uk": "іїєґ",
    "de": "äöüß",
}


def test_banks_are_complete():
    check_banks()
    for bank in BANKS.values():
        assert set(bank.THEMES) == set(THEME_IDS)
        assert all(len(set(cores)) >= MIN_CORES for cores in bank.THEMES.values())


def test_no_sentence_is_shared_between_themes_or_languages():
    seen: dict[str, tuple[str, str]] = {}
    for lang, bank in BANKS.items():
        for theme, cores in bank.THEMES.items():
            for core in cores:
                assert core not in seen or seen[core] == (lang, theme), (core, seen.get(core))
                seen[core] = (lang, theme)


def test_each_bank_is_written_in_its_alphabet():
    for lang, letters in LETTERS.items():
        text = " ".join(c for cores in BANKS[lang].THEMES.values() for c in cores).lower()
        assert all(ch in text for ch in letters), (lang, [ch for ch in letters if ch not in text])
    uk = [c for cores in BANKS["uk"].THEMES.values() for c in cores]
    assert all(re.search("[а-яіїєґ]", c.lower()) for c in uk)
    # Russian-only letters must not leak into Ukrainian
    assert not any(re.search("[ыэъё]", c.lower()) for c in uk)


def test_lower_first_keeps_german_nouns_and_english_i():
    assert lower_first("Paket kam nie.", "de") == "Paket kam nie."
    assert lower_first("Sie haben zweimal abgebucht.", "de") == "Sie haben zweimal abgebucht."
    assert lower_first("Ich habe gewartet.", "de") == "ich habe gewartet."
    assert lower_first("I waited an hour.", "en") == "I waited an hour."
    assert lower_first("The app crashes.", "en") == "the app crashes."
    assert lower_first("Paczka przyszła.", "pl") == "paczka przyszła."


def test_typo_swaps_two_letters_inside_a_word():
    rng = np.random.default_rng(0)
    text = "Przesyłka jest opóźniona"
    typo = add_typo(text, rng)
    assert typo != text and sorted(typo) == sorted(text) and len(typo) == len(text)


def test_composer_fills_every_slot():
    rng = np.random.default_rng(1)
    for lang in BANKS:
        composer = TextComposer(lang)
        for register in ("review", "email", "chat", "comment", "note"):
            for _ in range(10):
                out = composer.compose(
                    rng,
                    [composer.core(rng, "billing_error")],
                    register=register,
                    tone="negative",
                    themes=["billing_error"],
                    contact="iban",
                )
                assert "{" not in out.text and "}" not in out.text
                assert "iban" in out.pii
