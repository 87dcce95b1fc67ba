"""The shipped head on real e5 embeddings of clear sentences in every supported language.

The sentences are written here, not taken from the training seeds, so they are unseen text.
"""

from __future__ import annotations

import numpy as np
import pytest

from voc.sentiment import default_model_path, load_default_model, score_sentiment

CLEAR = {
    "en": (
        ["Absolutely loved it, the staff went above and beyond.", "Quick, friendly and it just works."],
        ["Total disaster, they lost my money and nobody cares.", "Rude agent, broken product, avoid."],
    ),
    "pl": (
        ["Jestem zachwycona, obsługa stanęła na wysokości zadania.", "Szybko, miło i wszystko działa."],
        [
            "Totalna porażka, zgubili moje pieniądze i nikogo to nie obchodzi.",
            "Chamski konsultant, zepsuty produkt, omijać.",
        ],
    ),
    "fi": (
        ["Aivan ihanaa, henkilökunta teki enemmän kuin odotin.", "Nopeaa, ystävällistä ja kaikki toimii."],
        ["Täydellinen katastrofi, rahani katosivat eikä ketään kiinnosta.", "Tyly myyjä, rikkinäinen tuote, vältä."],
    ),
    "uk": (
        ["Я в захваті, персонал зробив навіть більше, ніж треба.", "Швидко, привітно і все працює."],
        ["Повна катастрофа, загубили мої гроші, і всім байдуже.", "Хамський консультант, зламаний товар, уникайте."],
    ),
    "de": (
        [
            "Absolut begeistert, das Personal hat sich selbst übertroffen.",
            "Schnell, freundlich und es funktioniert einfach.",
        ],
        [
            "Totales Desaster, sie haben mein Geld verloren und keinen interessiert es.",
            "Unverschämter Mitarbeiter, kaputtes Produkt, Finger weg.",
        ],
    ),
}


@pytest.fixture(scope="module")
def scored():
    from voc.embed import get_embedder

    texts, langs, truth = [], [], []
    for lang, (pos, neg) in CLEAR.items():
        texts += pos + neg
        langs += [lang] * (len(pos) + len(neg))
        truth += ["positive"] * len(pos) + ["negative"] * len(neg)
    frame = score_sentiment(get_embedder().encode(texts))
    return frame.assign(text=texts, language=langs, truth=truth)


def test_shipped_head_is_small_and_not_pickled():
    path = default_model_path()
    assert path.suffix == ".npz" and path.stat().st_size < 1_000_000
    with np.load(path, allow_pickle=False) as data:
        assert data["coef"].shape == (384,)
    model = load_default_model()
    assert model.meta_["kind"] == "default"


@pytest.mark.parametrize("lang", sorted(CLEAR))
def test_clear_sentences_get_the_right_sign(scored, lang):
    part = scored[scored.language == lang]
    wrong = part[np.sign(part.sentiment) != np.where(part.truth == "positive", 1, -1)]
    assert wrong.empty, wrong[["text", "sentiment"]]
    assert part[part.truth == "positive"].sentiment.min() > part[part.truth == "negative"].sentiment.max()


def test_clear_sentences_are_not_labelled_neutral(scored):
    assert (scored.sentiment_label == scored.truth).mean() >= 0.8, scored[["text", "sentiment", "sentiment_label"]]


def test_shipped_head_names_its_sets_and_no_language_dominates():
    from voc.sentiment.corpora import SETS

    meta = load_default_model().meta_
    assert set(meta["sets"]) == set(SETS) and all(info["licence"] for info in meta["sets"].values())
    shares = meta["weight_share"]
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
    per_language: dict[str, float] = {}
    for group, share in shares.items():
        lang = group.removeprefix("hand-") if group.startswith("hand-") else SETS[group]["language"]
        per_language[lang] = per_language.get(lang, 0.0) + share
    real = [per_language[lang] for lang in ("pl", "fi", "de", "en")]
    assert max(real) - min(real) < 1e-3  # the four languages with real sets weigh the same
    assert per_language["uk"] > 0  # Ukrainian is in training, through the hand-written texts
    assert 0 < meta["temperature"] <= 1
