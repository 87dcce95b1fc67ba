"""Label rules: each one on labels seen in real runs, good labels passing, and describe_themes obeying them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voc.ingest.pii import REGISTRY, redact_text
from voc.themes.label_rules import (
    RULES,
    date_words,
    explain_label,
    is_readable_label,
    label_problems,
    learn_generic_words,
    placeholder_words,
    register_rule,
)
from voc.themes.labels import analyze_phrases, describe_themes, fallback_label, label_options, unique_labels

# labels the pipeline emitted on the shipped demo and on Polish film reviews, with the rule each breaks
BAD_LABELS = [
    ("fourth", "en", "number"),
    ("average", "en", "tone_only"),
    ("money", "en", "generic"),
    ("correct", "en", "tone_only"),
    ("monday / month", "en", "date"),
    ("i've / exactly", "en", "stop_word"),
    ("repair with exactly", "en", "stop_word"),
    ("single month", "en", "generic"),
    ("month bill / good morning", "en", "greeting"),
    ("brach / hallo", "pl", "greeting"),
    ("pesel / iban", "pl", "placeholder"),
    ("zły / niestety", "pl", "tone_only"),
    ("trochę / dobry", "pl", "tone_only"),
    ("https / artykul", "pl", "url"),
    ("najwyższa pozycja", "pl", "generic"),
    ("old / al", "en", "fragment"),
    ("terrible / avoid", "en", "tone_only"),
    ("problem", "en", "generic"),
    ("customer", "en", "generic"),
    ("service", "en", "generic"),
    ("experience", "en", "generic"),
    ("thing", "en", "generic"),
    ("good", "en", "tone_only"),
    ("www / com", "en", "url"),
    ("the delivery", "en", "stop_word"),
    ("delivery of", "en", "stop_word"),
    ("12 / order", "en", "number"),
    ("styczeń", "pl", "date"),
    ("freitag", "de", "date"),
    ("dziękuję / pozdrawiam", "pl", "greeting"),
    ("kiitos", "fi", "greeting"),
    ("antwort innerhalb / mfg paul", "de", "greeting"),
    ("", "en", "empty"),
]

GOOD_LABELS = [
    ("late delivery", "en"),
    ("refund / slow", "en"),
    ("staff / rude", "en"),
    ("app / login", "en"),
    ("customer service", "en"),
    ("opóźniona dostawa", "pl"),
    ("myöhästynyt toimitus", "fi"),
    ("Verspätung / Zug", "de"),
    ("посилка / кур'єр", "uk"),
    ("wifi / room", "en"),
    ("monthly bill / roaming", "en"),
]


@pytest.mark.parametrize(("label", "language", "rule"), BAD_LABELS)
def test_bad_labels_fail_the_rule_that_describes_them(label, language, rule):
    problems = label_problems(label, language=language)
    assert rule in problems, problems
    assert not is_readable_label(label, language=language)
    assert explain_label(label, language=language)


@pytest.mark.parametrize(("label", "language"), GOOD_LABELS)
def test_good_labels_pass(label, language):
    assert label_problems(label, language=language) == []
    assert is_readable_label(label, language=language)


def test_placeholders_are_the_redactors_own():
    # whatever the redactor writes, a label never repeats it
    redacted, _ = redact_text("number 44051401359, account PL61109010140000071219812874, call me on +48 601 234 567")
    for redactor in REGISTRY.values():
        word = redactor.placeholder.strip("[]<>").lower()
        assert word in placeholder_words()
    assert "[PESEL]" in redacted and "[IBAN]" in redacted and "[PHONE]" in redacted
    for word in ("pesel", "iban"):
        assert "placeholder" in label_problems(f"order / {word}", language="en")
    # a placeholder that is also an everyday word is a subject when customers write it ...
    assert label_problems("phone / card", language="en") == []
    # ... but the placeholder itself never becomes a phrase
    surfaces = {p.surface for p in analyze_phrases(redacted, "en")}
    assert not {"pesel", "iban", "phone"} & {w for s in surfaces for w in s.split()}, surfaces


def test_tone_words_may_follow_a_subject_but_not_stand_alone():
    assert is_readable_label("staff / rude", language="en")
    assert is_readable_label("delivery / terrible", language="en")
    assert label_problems("terrible", language="en") == ["tone_only"]


def test_date_words_come_in_every_language():
    for language, word in (("en", "monday"), ("pl", "poniedziałek"), ("de", "montag"), ("fi", "maanantai")):
        assert word in date_words(language), language
    assert "delivery" not in date_words("en")


def test_generic_words_are_learned_from_their_spread_over_themes():
    # "order" is said in every theme, "late"/"rude"/"app" in one each
    words = [{"order", "late"}] * 5 + [{"order", "rude"}] * 5 + [{"order", "app"}] * 5 + [{"order", "refund"}] * 5
    themes = np.repeat([0, 1, 2, 3], 5)
    generic = learn_generic_words(words, themes)
    assert generic == {"order"}
    assert "generic" in label_problems("order", language="en", generic_words=generic)
    assert label_problems("order", language="en") == []
    # too few themes to tell: nothing is learned
    assert learn_generic_words(words[:10], themes[:10]) == frozenset()


def test_rules_are_a_registry_that_can_grow():
    @register_rule("swear_word_test", reason="a swear word names nothing")
    def _swear(part, context):
        return "damn" in part.words

    try:
        assert "swear_word_test" in label_problems("damn / delivery", language="en")
    finally:
        del RULES["swear_word_test"]
    assert "swear_word_test" not in label_problems("damn / delivery", language="en")


def test_phrases_never_start_or_end_with_stop_words_nor_span_punctuation():
    phrases = analyze_phrases("The delivery was late. Courier lost my parcel, customer service of the shop!", "en")
    keys = {p.key for p in phrases}
    assert "customer service" in keys and "lost my parcel" in {p.surface for p in phrases}
    assert not any(k.split()[0] in {"the", "was", "my", "of"} or k.split()[-1] in {"the", "of"} for k in keys)
    assert "late courier" not in keys  # a full stop separates them
    assert "service of the" not in keys
    # ids are no words: "ORD-12345" gives no "ord"
    assert {p.key for p in analyze_phrases("order ORD-12345 lost, ticket TCK20240101", "en")} == {
        "order",
        "lose",
        "ticket",
    }


def test_written_form_is_shown_for_inflected_phrases():
    texts = ["Opóźniona dostawa paczki.", "Znowu opóźniona dostawa.", "Opóźniona dostawa i zły kurier."]
    options = label_options(
        [(p.surface, 1.0, {0}) for p in analyze_phrases(texts[0], "pl") if p.surface == "opóźniona dostawa"],
        language="pl",
    )
    assert options == ["opóźniona dostawa"]


def test_fallback_uses_the_most_central_text_content_words():
    texts = ["Hello, thank you!", "Hi, my parcel arrived damaged on Monday, order 123.", "ok"]
    label = fallback_label(texts, [0.9, 0.8, 0.1], language="en")
    assert label == "parcel arrived damaged"
    assert is_readable_label(label, language="en")


def test_unique_labels_prefer_the_larger_theme_and_disambiguate_the_other():
    options = {0: ["delivery / courier", "delivery / parcel"], 1: ["delivery / courier", "delivery / late"]}
    assert unique_labels(options, {0: 10, 1: 30}) == {1: "delivery / courier", 0: "delivery / parcel"}
    # labels given elsewhere (a parent's children) are avoided too
    assert unique_labels(options, {0: 10, 1: 30}, avoid=["delivery / courier"]) == {
        1: "delivery / late",
        0: "delivery / parcel",
    }


def _noisy_frame() -> tuple[pd.DataFrame, np.ndarray]:
    """Four themes in three languages, salted with greetings, weekdays, URLs and placeholders."""
    themes = {
        0: {
            "en": ["late delivery of my parcel", "the late delivery again", "courier late delivery, parcel lost"],
            "pl": ["opóźniona dostawa paczki", "znowu opóźniona dostawa", "kurier i opóźniona dostawa"],
        },
        1: {
            "en": ["the staff was rude", "rude staff at the desk", "staff rude and unhelpful"],
            "de": ["das Personal war unhöflich", "unhöfliches Personal am Schalter", "Personal sehr unhöflich"],
        },
        2: {
            "en": ["app login fails", "cannot login to the app", "login error in the app"],
            "pl": ["logowanie do aplikacji nie działa", "aplikacja błąd logowania", "nie mogę zalogować aplikacja"],
        },
        3: {
            "en": ["refund is slow", "still waiting for my refund", "slow refund of my money"],
            "de": ["Rückerstattung dauert ewig", "warte auf die Rückerstattung", "Rückerstattung sehr langsam"],
        },
    }
    salt = {
        "en": "Good morning! On Monday, see https://www.example.com, my PESEL [PESEL] and IBAN [IBAN]. Thanks.",
        "pl": "Dzień dobry, w poniedziałek, https://www.sklep.pl, PESEL [PESEL], IBAN [IBAN]. Pozdrawiam.",
        "de": "Guten Tag, am Montag, https://www.shop.de, IBAN [IBAN]. Danke.",
    }
    rows, ids = [], []
    for theme, by_language in themes.items():
        for language, texts in by_language.items():
            for i, text in enumerate(texts):
                rows.append(
                    {"record_id": f"{theme}-{language}-{i}", "text": f"{salt[language]} {text}", "language": language}
                )
                ids.append(theme)
    return pd.DataFrame(rows), np.asarray(ids)


def test_describe_themes_never_emits_a_label_that_fails_the_rules():
    units, ids = _noisy_frame()
    frame = describe_themes(units, ids, np.linspace(1, 0, len(ids)))
    assert list(frame.columns[:4]) == ["theme_id", "generated_label", "keywords", "verbatims"]
    labels = frame.set_index("theme_id")["generated_label"]
    assert labels.nunique() == len(labels)
    for label in labels:
        assert is_readable_label(label, language="en"), (label, label_problems(label, language="en"))
    assert "late delivery" in labels[0] and "rude" in labels[1] and "login" in labels[2] and "refund" in labels[3]
    assert all(json.loads(k) for k in frame["keywords"])


def test_describe_themes_labels_in_the_report_language_or_the_majority_one():
    units, ids = _noisy_frame()
    frame = describe_themes(units, ids, np.linspace(1, 0, len(ids)), language="pl").set_index("theme_id")
    assert "opóźniona dostawa" in frame.loc[0, "generated_label"]  # Polish units: the report's language
    assert "rude" in frame.loc[1, "generated_label"]  # no Polish units: English, the largest tie
    polish_only = units[units["language"].eq("pl")].reset_index(drop=True)
    frame = describe_themes(polish_only, ids[units["language"].eq("pl").to_numpy()], np.ones(len(polish_only)))
    assert all(is_readable_label(label, language="pl") for label in frame["generated_label"])


def test_describe_themes_falls_back_to_a_central_verbatim():
    # every repeated phrase is a greeting or a date: the label comes from the most central text
    units = pd.DataFrame(
        {
            "record_id": ["a", "b", "c", "d"],
            "text": ["Hello Monday! Broken charger cable.", "Hello Monday, thanks", "Hi, good morning", "Cheers!"],
            "language": ["en"] * 4,
        }
    )
    frame = describe_themes(units, np.zeros(4, dtype=int), np.array([0.9, 0.5, 0.4, 0.1]))
    assert frame.loc[0, "generated_label"] == "broken charger cable"


TOKENS = [
    "delivery", "late", "the", "monday", "[PESEL]", "https://www.x.com", "hello", "thanks", "good", "bad",
    "problem", "money", "12", "fourth", "i've", "refund", "staff", "rude", "app", "login", "terrible", "avoid",
    "dostawa", "niestety", "zły", "kurier", ",", ".", "[IBAN]", "styczeń", "pozdrawiam",
]  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map(" ".join), min_size=4, max_size=16),
    st.lists(st.sampled_from(["en", "pl"]), min_size=16, max_size=16),
)
def test_random_token_soups_never_get_a_failing_label(texts, languages):
    ids = np.arange(len(texts)) % 3
    units = pd.DataFrame(
        {"record_id": [str(i) for i in range(len(texts))], "text": texts, "language": languages[: len(texts)]}
    )
    frame = describe_themes(units, ids, np.ones(len(texts)))
    for theme, label in zip(frame["theme_id"], frame["generated_label"]):
        language = "en" if label.startswith("theme ") else None
        if language:  # nothing readable in any text: the plain id is the honest label
            continue
        langs = set(units.loc[ids == theme, "language"])
        assert any(is_readable_label(label, language=lang) for lang in langs), (label, texts)
