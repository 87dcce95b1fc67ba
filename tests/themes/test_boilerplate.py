import pytest

from voc.themes.boilerplate import is_boilerplate

BOILERPLATE = [
    ("Dear Sir or Madam,", "en"),
    ("Kind regards, Anna", "en"),
    ("My email is [EMAIL].", "en"),
    ("Pozdrawiam serdecznie, Kasia", "pl"),
    ("Mój numer: [PHONE].", "pl"),
    ("Ystävällisin terveisin, Matti", "fi"),
    ("З повагою, Олена", "uk"),
    ("Mit freundlichen Grüßen, Jan", "de"),
    ("Sehr geehrte Damen und Herren,", "de"),
]
ISSUES = [
    ("The courier was late again.", "en"),
    ("Refund still not received [EMAIL]", "en"),
    ("Thanks, the staff were lovely and helpful", "en"),
    ("Paczka przyszła uszkodzona.", "pl"),
    ("Sovellus kaatuu aina kun avaan tilaukset.", "fi"),
    ("Посилка прийшла пошкодженою.", "uk"),
    ("Die App stürzt ständig ab.", "de"),
]


@pytest.mark.parametrize("text,language", BOILERPLATE)
def test_salutations_signoffs_and_contact_lines_are_boilerplate(text, language):
    assert is_boilerplate([text], [language])[0]


@pytest.mark.parametrize("text,language", ISSUES)
def test_sentences_naming_an_issue_are_kept(text, language):
    assert not is_boilerplate([text], [language])[0]


def test_unknown_language_falls_back_to_english_formulas():
    assert list(is_boilerplate(["Best regards, Tom", "Das Paket kam nie an."], ["und", "und"])) == [True, False]
