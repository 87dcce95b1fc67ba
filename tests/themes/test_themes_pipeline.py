"""The nightly themes step end to end: stability of ids, refits, several themes per record.

Units are short hand-written comments in four languages embedded with the shipped e5 model. Most
tests run the registry around a small, fast stand-in with the ``ThemeModel`` interface
(language centring + average-linkage clustering), so they test *tracking* rather than discovery;
the slow test runs the real :class:`voc.themes.model.ThemeModel`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import AgglomerativeClustering

from voc.config import ThemeSettings
from voc.store import Store
from voc.themes.hierarchy import choose_n_parents, fit_parents
from voc.themes.pipeline import record_themes, update_themes
from voc.themes.registry import load_themes

# theme -> language -> comments; the first three of each language are "history", the rest arrive later
COMMENTS: dict[str, dict[str, list[str]]] = {
    "delivery": {
        "en": [
            "My parcel arrived two weeks late.",
            "The delivery is still not here after ten days.",
            "Shipping took forever, the package came very late.",
            "The courier delivered my order a week after the promised date.",
        ],
        "pl": [
            "Paczka dotarła z dwutygodniowym opóźnieniem.",
            "Przesyłka wciąż nie dotarła po dziesięciu dniach.",
            "Dostawa trwała wieki, paczka przyszła bardzo późno.",
            "Kurier dostarczył zamówienie tydzień po obiecanym terminie.",
        ],
        "de": [
            "Mein Paket kam zwei Wochen zu spät an.",
            "Die Lieferung ist nach zehn Tagen immer noch nicht da.",
            "Der Versand hat ewig gedauert, das Paket kam sehr spät.",
            "Der Kurier hat meine Bestellung eine Woche nach dem Termin geliefert.",
        ],
        "uk": [
            "Моя посилка прийшла на два тижні пізніше.",
            "Доставки досі немає вже десять днів.",
            "Відправлення тривало вічність, посилка прийшла дуже пізно.",
            "Кур'єр доставив замовлення через тиждень після обіцяної дати.",
        ],
    },
    "rude": {
        "en": [
            "The hotline agent was rude and hung up on me.",
            "Customer service staff were unfriendly and arrogant.",
            "The consultant on the phone was very impolite.",
            "Support treated me with disrespect and shouted at me.",
        ],
        "pl": [
            "Konsultant na infolinii był niegrzeczny i się rozłączył.",
            "Obsługa klienta była nieuprzejma i arogancka.",
            "Pani przez telefon była bardzo opryskliwa.",
            "Pracownik obsługi traktował mnie bez szacunku i krzyczał.",
        ],
        "de": [
            "Der Mitarbeiter an der Hotline war unhöflich und hat aufgelegt.",
            "Der Kundenservice war unfreundlich und arrogant.",
            "Die Beraterin am Telefon war sehr unhöflich.",
            "Der Support hat mich respektlos behandelt und angeschrien.",
        ],
        "uk": [
            "Оператор гарячої лінії був грубий і поклав слухавку.",
            "Служба підтримки була непривітна та зарозуміла.",
            "Консультантка по телефону була дуже неввічлива.",
            "Працівник підтримки ставився до мене без поваги і кричав.",
        ],
    },
    "app": {
        "en": [
            "The app crashes every time I open it.",
            "The mobile app freezes on the login screen.",
            "After the update the application keeps crashing.",
            "The app shows a blank screen and closes itself.",
        ],
        "pl": [
            "Aplikacja zawiesza się przy każdym uruchomieniu.",
            "Aplikacja mobilna zamarza na ekranie logowania.",
            "Po aktualizacji aplikacja ciągle się wyłącza.",
            "Aplikacja pokazuje pusty ekran i sama się zamyka.",
        ],
        "de": [
            "Die App stürzt jedes Mal beim Öffnen ab.",
            "Die mobile App friert beim Login-Bildschirm ein.",
            "Nach dem Update stürzt die Anwendung ständig ab.",
            "Die App zeigt einen leeren Bildschirm und schließt sich.",
        ],
        "uk": [
            "Застосунок вилітає щоразу, коли я його відкриваю.",
            "Мобільний додаток зависає на екрані входу.",
            "Після оновлення програма постійно вилітає.",
            "Додаток показує порожній екран і сам закривається.",
        ],
    },
    "refund": {
        "en": [
            "I returned the item a month ago and still have no refund.",
            "My money was never refunded after the return.",
            "Still waiting for the refund for my cancelled order.",
            "They confirmed the return but the refund never came.",
        ],
        "pl": [
            "Zwróciłem towar miesiąc temu i nadal nie mam zwrotu pieniędzy.",
            "Pieniądze nigdy nie zostały zwrócone po zwrocie.",
            "Wciąż czekam na zwrot pieniędzy za anulowane zamówienie.",
            "Potwierdzili zwrot, ale pieniądze nigdy nie wpłynęły.",
        ],
        "de": [
            "Ich habe den Artikel vor einem Monat zurückgeschickt und noch keine Erstattung.",
            "Mein Geld wurde nach der Rücksendung nie erstattet.",
            "Ich warte immer noch auf die Rückerstattung für die stornierte Bestellung.",
            "Die Rücksendung wurde bestätigt, aber das Geld kam nie.",
        ],
        "uk": [
            "Я повернув товар місяць тому і досі не отримав гроші.",
            "Мої гроші так і не повернули після повернення товару.",
            "Досі чекаю на повернення коштів за скасоване замовлення.",
            "Повернення підтвердили, але гроші так і не надійшли.",
        ],
    },
}

#: Records raising two themes at once, in two sentences.
MULTI = [
    (
        "multi-en",
        "en",
        ["My parcel came three weeks late.", "And the hotline agent was rude to me."],
        ("delivery", "rude"),
    ),
    (
        "multi-pl",
        "pl",
        ["Paczka przyszła trzy tygodnie za późno.", "A konsultant na infolinii był niegrzeczny."],
        ("delivery", "rude"),
    ),
]


@cache
def _embed(texts: tuple[str, ...]) -> np.ndarray:
    from voc.embed import get_embedder

    return get_embedder().encode(list(texts))


def comments_frame(*, first: int = 0, last: int = 4) -> pd.DataFrame:
    """One record = one unit per comment with index in [first, last) of each language."""
    rows = []
    for theme, by_language in COMMENTS.items():
        for language, texts in by_language.items():
            for i, text in enumerate(texts[first:last], start=first):
                record = f"{theme}-{language}-{i}"
                rows.append(
                    {
                        "unit_id": f"{record}#0",
                        "record_id": record,
                        "unit_index": 0,
                        "text": text,
                        "language": language,
                        "truth": theme,
                    }
                )
    return pd.DataFrame(rows)


def multi_frame() -> pd.DataFrame:
    rows = []
    for record, language, sentences, truths in MULTI:
        for i, (text, truth) in enumerate(zip(sentences, truths)):
            rows.append(
                {
                    "unit_id": f"{record}#{i}",
                    "record_id": record,
                    "unit_index": i,
                    "text": text,
                    "language": language,
                    "truth": truth,
                }
            )
    return pd.DataFrame(rows)


def embed_units(units: pd.DataFrame) -> np.ndarray:
    """Embeddings of the units (the whole corpus is embedded once per test session)."""
    corpus = pd.concat([comments_frame(), multi_frame()])["text"].tolist()
    vectors = dict(zip(corpus, _embed(tuple(corpus))))
    return np.vstack([vectors[t] for t in units["text"]])


class StandInModel:
    """A small deterministic model with the ``ThemeModel`` interface, for fast registry tests.

    Centres each language (the simplest cross-lingual correction), clusters by average linkage on
    cosine distance, drops clusters smaller than ``min_theme_size``, and assigns by nearest centroid.
    """

    def __init__(
        self,
        *,
        min_theme_size="auto",
        seed=42,
        merge_threshold=0.92,
        align="centre",
        distance=0.9,
        threshold=0.35,
        analyst_themes=None,
        clusterer="average-linkage",  # the stand-in always clusters by average linkage
    ):
        self.min_theme_size = min_theme_size
        self.align = align
        self.seed = seed
        self.merge_threshold = merge_threshold
        self.distance = distance
        self.threshold = threshold
        self.analyst_themes = analyst_themes

    def fit(self, embeddings, *, languages, texts=None):
        x = np.asarray(embeddings, dtype=np.float32)
        languages = np.asarray(languages)
        self.means_ = {}
        if self.align != "none":
            self.means_ = {lang: x[languages == lang].mean(axis=0) for lang in sorted(set(languages))}
        z = self.correct(x, languages=languages)
        if len(z) < 4:
            raise ValueError("too few units")
        raw = AgglomerativeClustering(
            n_clusters=None, distance_threshold=self.distance, metric="cosine", linkage="average"
        ).fit_predict(z)
        minimum = 3 if self.min_theme_size == "auto" else int(self.min_theme_size)
        kept = [c for c in np.unique(raw) if (raw == c).sum() >= minimum]
        kept.sort(key=lambda c: (-(raw == c).sum(), int(np.argmax(raw == c))))
        cents = np.vstack([z[raw == c].mean(axis=0) for c in kept]) if kept else np.zeros((0, z.shape[1]), np.float32)
        self.centroids_ = (cents / np.linalg.norm(cents, axis=1, keepdims=True)).astype(np.float32) if kept else cents
        self.threshold_ = self.threshold
        self.labels_, _ = self.transform(x, languages=languages)
        n_parents = None
        if self.analyst_themes is not None:
            n_parents = choose_n_parents(
                z, self.labels_, min_groups=self.analyst_themes[0], max_groups=self.analyst_themes[1]
            )
        self.parents_ = fit_parents(self.centroids_, n_parents=n_parents)
        return self

    def correct(self, embeddings, *, languages):
        x = np.asarray(embeddings, dtype=np.float32)
        shift = (
            np.vstack([self.means_.get(lang, np.zeros(x.shape[1], np.float32)) for lang in languages]) if len(x) else x
        )
        z = x - shift
        return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-9)

    def transform(self, embeddings, *, languages):
        z = self.correct(embeddings, languages=languages)
        if len(self.centroids_) == 0:
            return np.full(len(z), -1), np.zeros(len(z))
        sims = z @ self.centroids_.T
        best = sims.argmax(axis=1)
        sim = sims[np.arange(len(z)), best]
        return np.where(sim >= self.threshold_, best, -1).astype(np.int64), sim

    def get_state(self):
        langs = sorted(self.means_)
        return {
            "align": self.align,
            "languages": np.array(langs),
            "means": np.vstack([self.means_[lang] for lang in langs])
            if langs
            else np.zeros((0, self.centroids_.shape[1])),
            "centroids": self.centroids_,
            "parents": np.asarray(self.parents_),
            "threshold": float(self.threshold_),
        }

    @classmethod
    def from_state(cls, state):
        model = cls(align=str(state["align"]))
        model.means_ = dict(zip([str(s) for s in state["languages"]], np.asarray(state["means"], np.float32)))
        model.centroids_ = np.asarray(state["centroids"], np.float32)
        model.parents_ = np.asarray(state["parents"])
        model.threshold_ = float(state["threshold"])
        return model


SETTINGS = ThemeSettings()
NIGHT = datetime(2026, 3, 2, 2, 0)


def run_night(store, units, *, night=0, refit=None, model_cls=StandInModel, settings=SETTINGS):
    return update_themes(
        store,
        units,
        embed_units(units),
        settings=settings,
        run_id=f"night-{night}",
        now=NIGHT + timedelta(days=night),
        refit=refit,
        model_cls=model_cls,
        model_id="test-e5",
    )


def theme_of_truth(update, units) -> dict[str, int]:
    """The theme most of each true theme's units landed in."""
    merged = update.units.merge(units[["unit_id", "truth"]], on="unit_id")
    merged = merged[merged["theme_id"] >= 0]
    return merged.groupby("truth")["theme_id"].agg(lambda s: int(s.mode().iloc[0])).to_dict()


@pytest.fixture()
def store():
    with Store(":memory:") as s:
        yield s


def test_first_night_finds_the_planted_themes_across_languages(store):
    history = comments_frame(last=3)
    update = run_night(store, history)
    assert update.refitted
    found = theme_of_truth(update, history)
    assert len(set(found.values())) == 4, found
    merged = update.units.merge(history[["unit_id", "truth"]], on="unit_id")
    agree = (merged["theme_id"] == merged["truth"].map(found)).mean()
    assert agree >= 0.8
    assert set(update.themes.columns) >= {
        "theme_id",
        "label",
        "parent_id",
        "keywords",
        "verbatims",
        "status",
        "curated",
    }


def test_second_night_keeps_ids_and_assigns_new_units(store):
    history = comments_frame(last=3)
    first = run_night(store, history)
    before = first.units.set_index("unit_id")["theme_id"]
    everything = comments_frame()
    second = run_night(store, everything, night=1)
    assert not second.refitted
    after = second.units.set_index("unit_id")["theme_id"]
    pd.testing.assert_series_equal(after.loc[before.index], before, check_names=False)
    new = everything[~everything["unit_id"].isin(before.index)]
    expected = new["truth"].map(theme_of_truth(first, history))
    got = after.loc[new["unit_id"]].to_numpy()
    assert (got == expected.to_numpy()).mean() >= 0.75
    assert set(first.themes["theme_id"]) <= set(second.themes["theme_id"])


def test_refit_keeps_matched_ids(store):
    history = comments_frame(last=3)
    first = run_night(store, history)
    everything = comments_frame()
    refitted = run_night(store, everything, night=8)
    assert refitted.refitted  # a week later the refit is due
    assert theme_of_truth(refitted, everything) == theme_of_truth(first, history)
    matches = refitted.events[refitted.events["event"] == "match"]
    assert set(theme_of_truth(first, history).values()) <= set(matches["theme_id"])


def test_refit_on_same_input_changes_nothing(store):
    history = comments_frame()
    first = run_night(store, history)
    again = run_night(store, history, night=1, refit=True)
    pd.testing.assert_frame_equal(first.units, again.units)
    assert set(again.events["event"]) <= {"match"}


def test_same_input_and_seed_give_same_themes():
    units = comments_frame()
    results = []
    for _ in range(2):
        with Store(":memory:") as store:
            results.append(run_night(store, units))
    pd.testing.assert_frame_equal(results[0].units, results[1].units)
    pd.testing.assert_frame_equal(results[0].themes, results[1].themes)


def test_record_with_two_themes_gets_both_and_one_primary(store):
    units = pd.concat([comments_frame(), multi_frame()], ignore_index=True)
    update = run_night(store, units)
    found = theme_of_truth(update, comments_frame())
    per_record = update.record_themes.groupby("record_id")
    assert (per_record["is_primary"].sum() == 1).all()
    for record, _, _, truths in MULTI:
        rows = update.record_themes[update.record_themes["record_id"] == record]
        assert set(rows["theme_id"]) == {found[t] for t in truths}, rows


def test_record_themes_primary_is_the_theme_with_most_units():
    units = pd.DataFrame(
        {
            "record_id": ["a", "a", "a", "b", "b", "c"],
            "theme_id": [1, 2, 2, 3, 4, -1],
            "theme_similarity": [0.9, 0.5, 0.6, 0.7, 0.8, 0.2],
        }
    )
    out = record_themes(units)
    primary = out[out["is_primary"]].set_index("record_id")["theme_id"].to_dict()
    assert primary == {"a": 2, "b": 4}  # b: a tie on units, broken by similarity
    assert "c" not in set(out["record_id"])


def test_emerging_theme_is_born_from_what_fits_nowhere(store):
    known = comments_frame()[lambda f: f["truth"] != "refund"]
    first = run_night(store, known)
    everything = comments_frame()
    second = run_night(store, everything, night=1)
    assert not second.refitted
    births = second.events[second.events["event"] == "birth"]
    assert len(births) >= 1
    new_ids = set(births["theme_id"])
    refund = everything.loc[everything["truth"] == "refund", "unit_id"]
    landed = second.units.set_index("unit_id").loc[refund, "theme_id"]
    assert landed.isin(new_ids).mean() >= 0.75
    statuses = second.themes.set_index("theme_id").loc[sorted(new_ids), "status"]
    assert set(statuses) == {"emerging"}
    assert set(first.themes["theme_id"]) <= set(second.themes["theme_id"])


def test_misaligned_input_is_refused(store):
    units = comments_frame(last=1)
    with pytest.raises(ValueError, match="embedding rows"):
        update_themes(
            store,
            units,
            np.zeros((len(units) + 1, 384)),
            settings=SETTINGS,
            run_id="x",
            now=NIGHT,
            model_cls=StandInModel,
        )


def test_registry_is_written_in_the_store(store):
    update = run_night(store, comments_frame())
    stored = load_themes(store)
    assert set(update.themes["theme_id"]) <= set(stored["theme_id"])
    assert store.query("SELECT count(*) AS n FROM unit_themes")["n"].iloc[0] == len(update.units)
    assert store.query("SELECT count(*) AS n FROM theme_model_state")["n"].iloc[0] == 1


@pytest.mark.slow
def test_real_theme_model_keeps_ids_across_nights_and_refits(store):
    from voc.themes.model import ThemeModel

    history = comments_frame(last=3)
    first = run_night(store, history, model_cls=ThemeModel)
    everything = comments_frame()
    second = run_night(store, everything, night=1, model_cls=ThemeModel)
    before = first.units.set_index("unit_id")["theme_id"]
    after = second.units.set_index("unit_id")["theme_id"]
    pd.testing.assert_series_equal(after.loc[before.index], before, check_names=False)
    third = run_night(store, everything, night=2, refit=True, model_cls=ThemeModel)
    kept = set(first.themes.loc[first.themes["level"] == 1, "theme_id"]) & set(
        third.events.loc[third.events["event"] == "match", "theme_id"]
    )
    assert kept, third.events
