"""Labels, keywords and verbatims: readable, per language, no stop words, no stripped letters."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from test_themes_pipeline import comments_frame

from voc.themes.label_rules import is_readable_label, label_problems
from voc.themes.labels import (
    analyze,
    class_tfidf,
    describe_themes,
    make_label,
    mmr_select,
    select_verbatims,
    stop_words,
)


@pytest.fixture(scope="module")
def described() -> tuple[pd.DataFrame, dict[str, int]]:
    units = comments_frame()
    codes = {theme: i for i, theme in enumerate(sorted(units["truth"].unique()))}
    theme_ids = units["truth"].map(codes).to_numpy()
    similarity = np.linspace(1, 0, len(units))
    return describe_themes(units, theme_ids, similarity, n_keywords=8, n_verbatims=2), codes


def test_analyze_keeps_every_letter_and_drops_stop_words():
    uk = analyze("Кур'єр приїхав із запізненням, і посилка зіпсована", "uk")
    assert "кур'єр" in uk and any("ї" in f for f in uk)
    pl = analyze("Przesyłka dotarła z ogromnym opóźnieniem, kurier był niemiły", "pl")
    assert any(ch in "".join(pl) for ch in "łóź")
    for language, features in (("uk", uk), ("pl", pl)):
        words = {w for f in features for w in f.split()}
        assert not words & stop_words(language)
        assert all(re.fullmatch(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*", w) for w in words)


def test_bigrams_never_bridge_a_removed_stop_word():
    features = analyze("delivery was late and the courier", "en")
    assert "late courier" not in features and "delivery late" not in features
    assert "delivery" in features and "courier" in features


def test_lemmas_merge_inflected_forms():
    assert analyze("Paczki", "pl") == analyze("paczka", "pl")
    assert analyze("Lieferungen", "de") == analyze("Lieferung", "de")


def test_class_tfidf_prefers_words_specific_to_a_class():
    # columns: "order" (everywhere), "late" (class 0 only), "rude" (class 1 only)
    counts = np.array([[5, 3, 0], [5, 0, 3]])
    scores = class_tfidf(counts)
    assert scores[0, 1] > scores[0, 0] and scores[1, 2] > scores[1, 0]
    assert scores[0, 2] == 0


def test_keywords_are_per_language_without_stop_words(described):
    frame, _ = described
    for row in frame.itertuples(index=False):
        keywords = json.loads(row.keywords)
        # a language lists a phrase only when at least two of its sentences share it
        assert set(keywords) <= {"en", "pl", "de", "uk"} and len(keywords) >= 3
        for language, phrases in keywords.items():
            assert phrases
            words = {w for p in phrases for w in p.split()}
            assert not words & stop_words(language), (language, words & stop_words(language))
    uk_words = " ".join(p for row in frame.itertuples() for p in json.loads(row.keywords)["uk"])
    assert re.search("[їєі]", uk_words) and not re.search("[a-z]", uk_words)
    pl_words = " ".join(p for row in frame.itertuples() for p in json.loads(row.keywords)["pl"])
    assert re.search("[ąćęłńóśźż]", pl_words)


def test_labels_are_short_readable_english_keyphrases(described):
    frame, codes = described
    units = comments_frame()
    labels = frame.set_index("theme_id")["generated_label"]
    assert labels.nunique() == len(codes)
    for theme_id, label in labels.items():
        parts = label.split(" / ")
        assert 1 <= len(parts) <= 2 and all(parts)
        assert len(label.replace(" / ", " ").split()) <= 4
        # English (the report's language) phrases as people wrote them in this theme's texts
        theme = next(name for name, code in codes.items() if code == theme_id)
        english = " ".join(units.loc[units["truth"].eq(theme) & units["language"].eq("en"), "text"]).lower()
        assert all(part in english for part in parts), (label, english)
        assert is_readable_label(label, language="en"), label_problems(label, language="en")
    assert re.search("app|crash", labels[codes["app"]])
    assert re.search("refund|money|return", labels[codes["refund"]])


def test_label_falls_back_to_the_largest_language():
    keywords = {"pl": [("opóźnienie", 1.0, {0}), ("kurier", 0.6, {1})], "de": [("verspätung", 1.0, {2})]}
    assert make_label(keywords, {"pl": 5, "de": 2}) == "opóźnienie / kurier"


def test_mmr_skips_redundant_phrases():
    candidates = [("late delivery", 1.0, {1, 2, 3}), ("delivery", 0.95, {1, 2, 3}), ("courier", 0.5, {4, 5})]
    assert mmr_select(candidates, top_n=2) == ["late delivery", "courier"]


def test_verbatims_are_central_distinct_readable_and_one_per_record():
    texts = [
        "ok",
        "The parcel came two weeks late.",
        "The parcel came two weeks late!",
        "Delivery took ten days longer than promised.",
        "Still no package after a month of waiting.",
    ]
    quotes = select_verbatims(
        texts, ["r1", "r2", "r3", "r2", "r4"], ["en"] * 5, [0.99, 0.9, 0.89, 0.8, 0.5], n_per_language=3
    )
    # "ok" is too short to quote, r3 repeats r2's words, r2's second sentence repeats its record
    assert [q["text"] for q in quotes] == [texts[1], texts[4]]


def test_verbatims_cover_each_language(described):
    frame, _ = described
    for row in frame.itertuples(index=False):
        quotes = json.loads(row.verbatims)
        assert {q["language"] for q in quotes} == {"en", "pl", "de", "uk"}
        assert all(set(q) == {"record_id", "language", "text"} for q in quotes)


def test_a_night_with_no_theme_to_describe_skips_the_corpus_statistics(monkeypatch):
    import voc.themes.labels as labels

    units = comments_frame()
    theme_ids = np.zeros(len(units), dtype=int)

    def refuse(*args, **kwargs):
        raise AssertionError("corpus statistics computed for no theme")

    monkeypatch.setattr(labels, "extract_keywords", refuse)
    monkeypatch.setattr(labels, "learn_theme_generic_words", refuse)
    out = describe_themes(units, theme_ids, np.ones(len(units)), only=[])
    assert out.empty and list(out.columns) == ["theme_id", "generated_label", "keywords", "verbatims"]
    with pytest.raises(AssertionError, match="corpus statistics"):
        describe_themes(units, theme_ids, np.ones(len(units)), only=[0])


def test_label_sample_keeps_every_themes_central_units_and_an_even_share_of_the_rest():
    from voc.themes.labels import label_sample

    rng = np.random.default_rng(3)
    theme_ids = np.r_[np.full(6000, 0), np.full(3000, 1), np.full(8, 2), np.full(500, -1)]
    languages = np.array(["en", "pl"] * (len(theme_ids) // 2) + ["en"] * (len(theme_ids) % 2))
    similarity = rng.random(len(theme_ids))
    keep = label_sample(theme_ids, similarity, languages, size=900, n_top=5)
    assert np.all(np.diff(keep) > 0) and not np.any(theme_ids[keep] == -1)
    # the small theme (four units a language) keeps every unit, the large ones about the same tenth
    assert set(np.flatnonzero(theme_ids == 2)) <= set(keep.tolist())
    shares = [np.mean(theme_ids[keep] == t) / np.mean(theme_ids[theme_ids >= 0] == t) for t in (0, 1)]
    assert 0.8 < shares[0] / shares[1] < 1.25
    assert 800 < len(keep) < 1100
    # each theme's five most central units per language are in
    for theme in (0, 1):
        for language in ("en", "pl"):
            members = np.flatnonzero((theme_ids == theme) & (languages == language))
            top = members[np.argsort(-similarity[members])[:5]]
            assert set(top.tolist()) <= set(keep.tolist())


def test_labels_from_a_sample_name_the_themes_as_labels_from_all_units():
    texts = {
        0: ["The parcel arrived late again, delivery took weeks", "Late delivery, the parcel is still not here"],
        1: ["The refund never came back to my card", "Still waiting for my refund after the return"],
    }
    rows = [(f"r{t}-{i}", texts[t][i % 2] + f" order {i}", "en", t) for t in (0, 1) for i in range(400)]
    units = pd.DataFrame(rows, columns=["record_id", "text", "language", "theme"])
    similarity = np.linspace(1, 0.5, len(units))
    everything = describe_themes(units, units["theme"].to_numpy(), similarity)
    sampled = describe_themes(units, units["theme"].to_numpy(), similarity, max_units=100)
    # the same leading keyphrase and the same verbatims (the central units are always kept)
    first = [label.split(" / ")[0] for label in everything["generated_label"]]
    assert [label.split(" / ")[0] for label in sampled["generated_label"]] == first
    assert "delivery" in first[0] or "late" in first[0]
    assert "refund" in first[1] or "card" in first[1]
    assert sampled["verbatims"].tolist() == everything["verbatims"].tolist()
