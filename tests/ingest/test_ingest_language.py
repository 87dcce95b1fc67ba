"""Language identification on real sentences, with the fallbacks for short and explicit input."""

from __future__ import annotations

import pytest

from voc.ingest.language import LanguageTally, detect_languages, get_detector, majority_language, parse_language_code

SENTENCES = {
    "pl": "Paczka przyszła uszkodzona, a infolinia nie odbiera telefonu od trzech dni.",
    "fi": "Tilaus saapui myöhässä eikä asiakaspalvelu vastannut sähköpostiini.",
    "uk": "Замовлення прийшло пошкодженим, і ніхто не відповідає на мої листи.",
    "en": "The parcel arrived damaged and nobody answers the support line.",
    "de": "Das Paket kam beschädigt an und die Hotline ist nie erreichbar.",
}


def test_detects_the_five_supported_languages(warm_detector):
    codes = detect_languages(list(SENTENCES.values()))
    assert codes == list(SENTENCES)


def test_russian_is_not_forced_into_ukrainian(warm_detector):
    assert detect_languages(["Посылка пришла повреждённой, и никто не отвечает на мои письма."]) == ["ru"]


def test_short_texts_take_the_majority_language_of_their_script(warm_detector):
    texts = [
        SENTENCES["pl"],
        "Bardzo długo czekałem na zwrot pieniędzy za zamówienie.",
        SENTENCES["uk"],
        "ok",
        "super",
        "Нормально",
        "-",
        "12345",
    ]
    assert detect_languages(texts) == ["pl", "pl", "uk", "pl", "pl", "uk", "und", "und"]
    assert detect_languages(["ok"]) == ["und"]
    assert detect_languages(["ok", "-"], fallback="fi") == ["fi", "und"]


def test_unambiguous_short_texts_are_detected(warm_detector):
    # Polish-only letters make even a two-word answer certain; the majority here is English
    texts = [SENTENCES["en"], "Może być", "Zażółć"]
    assert detect_languages(texts) == ["en", "pl", "pl"]


def test_explicit_language_wins_when_valid(warm_detector):
    texts = [SENTENCES["en"], SENTENCES["en"], SENTENCES["de"]]
    codes = detect_languages(texts, hints=["pl-PL", "klingon", None])
    assert codes == ["pl", "en", "de"]


def test_parse_language_code_spellings():
    assert [parse_language_code(v) for v in ["PL", "fi_FI", "ukr", "German", "", None, "zz"]] == [
        "pl",
        "fi",
        "uk",
        "de",
        None,
        None,
        None,
    ]


def test_detector_is_built_once_per_language_set():
    assert get_detector(("pl", "en")) is get_detector(("pl", "en"))
    with pytest.raises(ValueError, match="xx"):
        get_detector(("pl", "xx"))


def test_majority_language_ignores_unknown():
    assert majority_language(["und", "fi", "fi", "pl"]) == "fi"
    assert majority_language([]) == "und"


def test_tally_keeps_one_majority_per_script():
    tally = LanguageTally()
    tally.update(["Guten Tag", "Hallo Welt", "Привіт"], ["de", "de", "uk"])
    assert tally.fallback("ok") == "de" and tally.fallback("Так") == "uk" and tally.fallback("!!") == "und"
