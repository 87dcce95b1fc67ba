"""Effort and churn-intent cues in all five languages, positives and negatives."""

from __future__ import annotations

import pandas as pd
import pytest

from voc.sentiment import detect_cues
from voc.sentiment.cues import load_cue_patterns

EFFORT = {
    "en": [
        "I had to call three times before anyone helped.",
        "The form is confusing and took forever.",
        "I was on hold for an hour.",
    ],
    "pl": [
        "Dzwoniłam trzy razy i nikt nie odebrał.",
        "Formularz jest bardzo skomplikowany.",
        "Musiałem kilka razy tłumaczyć to samo.",
    ],
    "fi": [
        "Soitin kolme kertaa ennen kuin asia hoitui.",
        "Lomake on todella sekava.",
        "Jouduin odottamaan jonossa tunnin.",
    ],
    "uk": ["Мені довелося дзвонити тричі.", "Форма дуже заплутана.", "Ніхто не відповідає на дзвінки."],
    "de": ["Ich musste dreimal anrufen.", "Das Formular ist total umständlich.", "Ich hing ewig in der Warteschleife."],
}
CHURN = {
    "en": ["I will cancel my subscription.", "We are switching to another provider.", "Please close my account."],
    "pl": ["Rezygnuję z abonamentu.", "Przechodzę do konkurencji.", "Chcę zamknąć konto."],
    "fi": ["Irtisanon liittymäni.", "Vaihdan toiseen pankkiin.", "Haluan sulkea tilini."],
    "uk": ["Я розірву договір.", "Перейду до іншого банку.", "Хочу закрити рахунок."],
    "de": ["Ich kündige meinen Vertrag.", "Ich wechsle zu einem anderen Anbieter.", "Bitte mein Konto schließen."],
}
NEITHER = {
    "en": [
        "Great service, thank you.",
        "My flight was cancelled by the storm but the crew was great.",
        "The app is easy to use.",
    ],
    "pl": ["Świetna obsługa, dziękuję.", "Aplikacja jest prosta w obsłudze.", "Kurier był bardzo miły."],
    "fi": ["Kiitos hyvästä palvelusta.", "Sovellus on helppokäyttöinen.", "Kuriiri oli ystävällinen."],
    "uk": ["Дякую за чудове обслуговування.", "Застосунок зручний.", "Кур'єр був ввічливий."],
    "de": ["Toller Service, danke.", "Die App ist einfach zu bedienen.", "Der Kurier war sehr freundlich."],
}


def _flags(texts, lang):
    return detect_cues(texts, [lang] * len(texts))


@pytest.mark.parametrize("lang", sorted(EFFORT))
def test_effort_cues(lang):
    flags = _flags(EFFORT[lang], lang)
    assert flags.effort_cue.all(), flags.assign(text=EFFORT[lang])
    assert flags.cue_text.notna().all()


@pytest.mark.parametrize("lang", sorted(CHURN))
def test_churn_cues(lang):
    flags = _flags(CHURN[lang], lang)
    assert flags.churn_cue.all(), flags.assign(text=CHURN[lang])
    assert not flags.effort_cue.any()


@pytest.mark.parametrize("lang", sorted(NEITHER))
def test_no_cues_in_plain_feedback(lang):
    flags = _flags(NEITHER[lang], lang)
    assert not flags.effort_cue.any() and not flags.churn_cue.any(), flags.assign(text=NEITHER[lang])
    assert flags.cue_text.isna().all()


def test_cue_text_is_the_matched_span_and_both_kinds_combine():
    flags = detect_cues(["I called five times and now I will cancel my contract"], ["en"])
    assert flags.effort_cue[0] and flags.churn_cue[0]
    effort, churn = flags.cue_text[0].split(" | ")
    assert "five times" in effort and "cancel" in churn


def test_unknown_language_tries_all_languages_and_bad_inputs():
    flags = detect_cues(["Ich kündige", "", None], ["und", "de", "en"])
    assert list(flags.churn_cue) == [True, False, False]
    assert list(flags.columns) == ["effort_cue", "churn_cue", "cue_text"]
    assert flags.effort_cue.dtype == bool
    with pytest.raises(ValueError, match="languages"):
        detect_cues(["a"], [])


def test_every_supported_language_has_both_kinds():
    patterns = load_cue_patterns()
    for lang in ("pl", "fi", "uk", "en", "de"):
        assert patterns[lang]["effort"] and patterns[lang]["churn"]


def test_returns_empty_frame_for_no_texts():
    flags = detect_cues([], [])
    assert isinstance(flags, pd.DataFrame) and len(flags) == 0


NEGATED = {
    "en": ["I don't want to cancel my subscription.", "The form was not confusing at all."],
    "pl": ["Nie rezygnuję z abonamentu.", "Formularz nie był skomplikowany."],
    "fi": ["En irtisano sopimusta.", "Lomake ei ollut sekava."],
    "uk": ["Я не буду розривати договір.", "Форма зовсім не заплутана."],
    "de": ["Ich kündige nicht.", "Das Formular war gar nicht kompliziert."],
}


@pytest.mark.parametrize("lang", sorted(NEGATED))
def test_negated_cues_raise_no_flag(lang):
    flags = _flags(NEGATED[lang], lang)
    assert not flags.effort_cue.any() and not flags.churn_cue.any(), flags.assign(text=NEGATED[lang])


def test_negation_stays_in_its_clause():
    flags = detect_cues(["Not happy at all. I will cancel my contract."], ["en"])
    assert flags.churn_cue[0]
