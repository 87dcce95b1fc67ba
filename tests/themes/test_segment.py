"""Sentence/clause splitting per language."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from voc.schemas import UNIT_COLUMNS
from voc.themes.segment import split_text, split_units

#: Two issues per record, in each supported language: a sentence boundary and a clause joiner.
MULTI_ISSUE = {
    "en": (
        "The parcel arrived two weeks late. The hotline agent was rude and hung up on me.",
        "The parcel arrived two weeks late, and the hotline agent was rude to me on the phone.",
    ),
    "de": (
        "Das Paket kam zwei Wochen zu spät. Der Mitarbeiter an der Hotline war sehr unfreundlich.",
        "Das Paket kam zwei Wochen zu spät, und der Mitarbeiter an der Hotline war sehr unfreundlich.",
    ),
    "pl": (
        "Paczka przyszła z dwutygodniowym opóźnieniem. Konsultant na infolinii był bardzo niemiły.",
        "Paczka przyszła z dwutygodniowym opóźnieniem, a konsultant na infolinii był bardzo niemiły.",
    ),
    "fi": (
        "Paketti tuli kaksi viikkoa myöhässä. Asiakaspalvelija oli puhelimessa todella töykeä.",
        "Paketti tuli kaksi viikkoa myöhässä, ja asiakaspalvelija oli puhelimessa todella töykeä.",
    ),
    "uk": (
        "Посилка прийшла на два тижні пізніше. Оператор гарячої лінії був дуже грубий.",
        "Посилка прийшла на два тижні пізніше, і оператор гарячої лінії був дуже грубий зі мною.",
    ),
}


@pytest.mark.parametrize("language", sorted(MULTI_ISSUE))
def test_two_sentences_become_two_units(language):
    text, _ = MULTI_ISSUE[language]
    units = split_text(text, language)
    assert len(units) == 2
    # Verbatim slices: each unit is found in the record, in order.
    assert text.index(units[0]) < text.index(units[1])


@pytest.mark.parametrize("language", sorted(MULTI_ISSUE))
def test_clause_joiner_splits_two_issues(language):
    _, text = MULTI_ISSUE[language]
    units = split_text(text, language)
    assert len(units) == 2, units
    assert all(unit in text for unit in units)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Rude and arrogant staff."),
        ("de", "Schnell und freundlich."),
        ("pl", "Tanio i szybko, polecam."),
        ("fi", "Nopea ja ystävällinen palvelu."),
        ("uk", "Швидко і зручно, дякую."),
    ],
)
def test_short_coordinations_stay_whole(language, text):
    assert split_text(text, language) == [text]


def test_abbreviations_do_not_cut_sentences():
    text = "Ich habe z.B. ca. 5 Std. gewartet. Danach kam niemand."
    assert split_text(text, "de") == ["Ich habe z.B. ca. 5 Std. gewartet.", "Danach kam niemand."]
    assert split_text("Czekałem np. dwie godziny na infolinii. Nikt nie odebrał telefonu.", "pl") == [
        "Czekałem np. dwie godziny na infolinii.",
        "Nikt nie odebrał telefonu.",
    ]


def test_short_fragments_merge_into_a_neighbour():
    units = split_text("Wow. The delivery took three weeks. Bad!", "en", min_chars=12)
    assert units == ["Wow. The delivery took three weeks. Bad!"]


def test_semicolon_splits_when_both_sides_stand_alone():
    units = split_text("The checkout page keeps failing; my refund has not arrived after a month.", "en")
    assert units == ["The checkout page keeps failing", "my refund has not arrived after a month."]


def test_no_split_keeps_whole_text():
    text = "One thing. Another thing entirely."
    assert split_text(text, "en", split_sentences=False) == [text]


def test_split_units_table():
    records = pd.DataFrame(
        {
            "record_id": ["a", "b", "c", "d"],
            "text": [MULTI_ISSUE["pl"][0], "", "Ok.", MULTI_ISSUE["fi"][1]],
            "language": ["pl", "en", "en", "fi"],
        }
    )
    units = split_units(records)
    assert tuple(units.columns) == UNIT_COLUMNS
    assert units["unit_id"].tolist() == ["a#0", "a#1", "c#0", "d#0", "d#1"]
    assert units["unit_index"].dtype == "int32"
    assert "b" not in set(units["record_id"])  # empty text gives no unit
    expected = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in units["text"]]
    assert units["text_hash"].tolist() == expected
    assert units.loc[units.record_id == "d", "language"].eq("fi").all()


def test_split_units_names_missing_columns():
    with pytest.raises(KeyError, match="language"):
        split_units(pd.DataFrame({"record_id": ["a"], "text": ["x"]}))


def test_unknown_language_falls_back():
    assert split_text("Erste Sache hier. Zweite Sache dort drüben.", "und") == [
        "Erste Sache hier.",
        "Zweite Sache dort drüben.",
    ]


def _records(n: int) -> pd.DataFrame:
    texts = {
        "en": "The parcel came two weeks late. Support never answered my emails, and the refund is still missing.",
        "pl": "Paczka przyszła z opóźnieniem. Infolinia nie odbiera, a zwrot pieniędzy wciąż nie dotarł.",
        "de": "Die Lieferung kam zu spät. Die Hotline war unfreundlich, und die Erstattung fehlt noch.",
    }
    languages = list(texts)
    return pd.DataFrame(
        {
            "record_id": [f"R{i:03d}" for i in range(n)],
            "text": [f"{texts[languages[i % 3]]} Order {i}." for i in range(n)],
            "language": [languages[i % 3] for i in range(n)],
        }
    )


def test_a_night_takes_the_stored_units_of_known_records_and_splits_the_new_ones(monkeypatch):
    import voc.themes.segment as segment

    records = _records(30)
    stored = split_units(records.iloc[:20])
    split_texts = []
    original = segment.split_text
    monkeypatch.setattr(
        segment, "split_text", lambda text, *a, **k: split_texts.append(text) or original(text, *a, **k)
    )
    # the new records arrive in the middle of the history: the result keeps the records' order
    shuffled = pd.concat([records.iloc[:10], records.iloc[20:], records.iloc[10:20]], ignore_index=True)
    units = segment.split_new_units(shuffled, stored, n_check=4)
    # the 10 new records and the 4 checked ones were split, not the 16 others
    assert len(split_texts) == 14
    pd.testing.assert_frame_equal(units, split_units(shuffled))


def test_stored_units_from_another_split_rule_are_split_again():
    from voc.themes.segment import split_new_units

    records = _records(12)
    whole = split_units(records, split_sentences=False)  # stored while splitting was off
    units = split_new_units(records, whole, split_sentences=True, n_check=3)
    pd.testing.assert_frame_equal(units, split_units(records, split_sentences=True))
    assert len(units) > len(whole)
