"""Zero-shot themes (``themes.zeroshot``): catalogue issues as themes, the rest clustered.

Units are near-copies of a small catalogue's own examples (three issues with a theme's worth of
units each, one with too few) and off-topic sentences on two subjects no catalogue issue covers,
embedded with the shipped encoder. The real :class:`~voc.themes.model.ThemeModel` fits them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from voc.config import ReportSettings, ThemeSettings
from voc.pipeline.nodes import catalogue_names
from voc.store import Store
from voc.themes._model_cluster import anchored_labels
from voc.themes.catalogue import NO_MATCH, Catalogue, CatalogueMatcher, load_catalogue, name_themes
from voc.themes.model import ThemeModel
from voc.themes.pipeline import curate, fit_or_assign, update_themes
from voc.themes.registry import load_assignments
from voc.themes.sampling import fit_on_sample
from voc.themes.state import load_theme_state

#: issues with a theme's worth of near-copies, and one with too few to be a theme of its own
ISSUES = ("delivery-speed", "rude-staff", "app-crashes")
SMALL_ISSUE = "refund"
SMALL_COPIES = 3
#: two subjects no catalogue issue covers, for clustering to find
OFF_TOPIC = {
    "space": [
        "The telescope revealed three new moons orbiting the distant planet.",
        "Astronomers measured the light of a galaxy billions of years old.",
        "The comet will pass close to the sun next spring.",
        "A supernova was observed in a neighbouring galaxy last night.",
        "The planet's rings are made mostly of ice and rock.",
        "Black holes bend the light of the stars behind them.",
        "The space probe sent back pictures of the frozen moon's surface.",
        "Das Teleskop entdeckte einen neuen Mond um den fernen Planeten.",
        "Astronomowie zaobserwowali wybuch supernowej w sąsiedniej galaktyce.",
        "The astronauts repaired the solar panels of the space station.",
        "Mars has the tallest volcano in the solar system.",
        "The eclipse darkened the sky over the observatory for four minutes.",
        "Neutron stars spin hundreds of times every second.",
        "The rover drilled into the rocks of the red planet.",
    ],
    "football": [
        "The football team won the league after a dramatic final match.",
        "The striker scored twice in the second half.",
        "The goalkeeper saved a penalty in the last minute of the game.",
        "Fans celebrated the championship in the city centre all night.",
        "The coach changed the formation before the derby.",
        "The midfielder was injured during the training session.",
        "The referee showed the defender a red card after the foul.",
        "Die Mannschaft gewann das Pokalfinale nach Elfmeterschießen.",
        "Napastnik strzelił zwycięskiego gola w doliczonym czasie gry.",
        "The club signed a young winger from the second division.",
        "The home side equalised with a header from a corner kick.",
        "Supporters sang through the whole match despite the rain.",
        "The captain lifted the trophy in front of the stadium.",
        "The transfer window closes at midnight on Friday.",
    ],
}
SETTINGS = ThemeSettings(min_theme_size=6, zeroshot=True)
NIGHT = datetime(2026, 3, 2, 2, 0)


def small_catalogue() -> Catalogue:
    """The shipped catalogue cut down to the issues the units are about (a fast matcher fit)."""
    wanted = set(ISSUES) | {SMALL_ISSUE}
    catalogue = load_catalogue()
    areas = [
        area.model_copy(update={"themes": [t for t in area.themes if t.id in wanted]})
        for area in catalogue.areas
        if any(t.id in wanted for t in area.themes)
    ]
    return Catalogue(areas=areas)


def near_copy(text: str, variant: int) -> str:
    """The example with other closing punctuation: a new sentence saying the same."""
    return text.rstrip(".!?") + ("!!" if variant == 0 else "...")


@pytest.fixture(scope="module")
def corpus(embedder):
    """Units (one record each), their embeddings and catalogue matches, and tomorrow's units.

    Returns a dict with ``units`` (DataFrame with ``truth``), ``vectors`` (n, d), ``anchors`` (n,),
    ``names`` (the catalogue's names), and the same three for ``later`` (other near-copies).
    """
    catalogue = small_catalogue()
    texts, languages, index = catalogue.examples()
    matcher = CatalogueMatcher().fit_vectors(catalogue, embedder.encode(texts))
    ids = [t.id for t in catalogue.themes]

    def frame(variant: int, prefix: str, small: int) -> pd.DataFrame:
        rows = []
        for text, language, issue in zip(texts, languages, index):
            issue_id = ids[int(issue)]
            if issue_id in ISSUES or (issue_id == SMALL_ISSUE and small > 0):
                small -= issue_id == SMALL_ISSUE
                rows.append((near_copy(text, variant), language, issue_id))
        if variant == 0:
            rows += [(text, "en", subject) for subject, items in OFF_TOPIC.items() for text in items]
        return pd.DataFrame(
            {
                "unit_id": [f"{prefix}{i}#0" for i in range(len(rows))],
                "record_id": [f"{prefix}{i}" for i in range(len(rows))],
                "unit_index": 0,
                "text": [r[0] for r in rows],
                "language": [r[1] for r in rows],
                "truth": [r[2] for r in rows],
            }
        )

    def matched(units: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        vectors = embedder.encode(units["text"].tolist())
        return vectors, matcher.match(vectors, units["language"].tolist())[0]

    units, later = frame(0, "r", SMALL_COPIES), frame(1, "s", 0)
    vectors, anchors = matched(units)
    later_vectors, later_anchors = matched(later)
    return {
        "units": units,
        "vectors": vectors,
        "anchors": anchors,
        "later": later,
        "later_vectors": later_vectors,
        "later_anchors": later_anchors,
        "ids": ids,
        "names": [t.name for t in catalogue.themes],
    }


def test_the_matcher_takes_the_near_copies_and_leaves_the_off_topic_units(corpus):
    """The premise of the other tests: what the catalogue matches is what the units are about."""
    units, anchors, ids = corpus["units"], corpus["anchors"], corpus["ids"]
    on_topic = units["truth"].isin(ISSUES + (SMALL_ISSUE,)).to_numpy()
    assert [ids[a] for a in anchors[on_topic]] == units.loc[on_topic, "truth"].tolist()
    assert (anchors[~on_topic] == NO_MATCH).all()


def test_anchored_labels_keep_issues_with_enough_units_and_release_the_rest():
    labels, issues = anchored_labels(np.array([4, 4, 4, -1, 1, 7, 7, 7, 7]), min_size=3)
    np.testing.assert_array_equal(issues, [4, 7])
    np.testing.assert_array_equal(labels, [0, 0, 0, -1, -1, 1, 1, 1, 1])
    labels, issues = anchored_labels(np.full(4, -1), min_size=3)
    assert len(issues) == 0 and (labels == -1).all()


def test_model_makes_one_theme_per_issue_and_clusters_the_rest(corpus):
    units, vectors, anchors, ids = corpus["units"], corpus["vectors"], corpus["anchors"], corpus["ids"]
    model = ThemeModel(min_theme_size=6, seed=42).fit(vectors, languages=units["language"].tolist(), anchors=anchors)
    truth = units["truth"].to_numpy()
    issue_of = {ids[i]: t for t, i in enumerate(model.catalogue_) if i >= 0}
    assert set(issue_of) == set(ISSUES)  # the small issue released its units to clustering
    for issue in ISSUES:
        assert (model.labels_[truth == issue] == issue_of[issue]).all(), issue
    # each off-topic subject is mostly one discovered theme, and the two are different
    discovered = {}
    for subject in OFF_TOPIC:
        labels = model.labels_[truth == subject]
        top, count = np.unique(labels, return_counts=True)
        discovered[subject] = int(top[count.argmax()])
        assert count.max() >= 0.75 * len(labels) and model.catalogue_[discovered[subject]] == NO_MATCH, subject
    assert discovered["space"] != discovered["football"]
    # training units are labelled by the same nearest-centroid rule as new ones
    labels, _ = model.transform(vectors, languages=units["language"].tolist())
    np.testing.assert_array_equal(labels, model.labels_)


def test_catalogue_themes_keep_their_issue_on_the_next_night_and_take_its_name(corpus):
    units, later = corpus["units"], corpus["later"]
    with Store(":memory:") as store:
        update_themes(
            store, units, corpus["vectors"], settings=SETTINGS, run_id="night-0", now=NIGHT, anchors=corpus["anchors"]
        )
        first = load_assignments(store).set_index("unit_id")["theme_id"].reindex(units["unit_id"]).to_numpy()
        both = pd.concat([units, later], ignore_index=True)
        update_themes(
            store,
            both,
            np.vstack([corpus["vectors"], corpus["later_vectors"]]),
            settings=SETTINGS,
            run_id="night-1",
            now=NIGHT + timedelta(days=1),
            refit=False,
            anchors=np.concatenate([corpus["anchors"], corpus["later_anchors"]]),
        )
        second = load_assignments(store).set_index("unit_id")["theme_id"].reindex(both["unit_id"]).to_numpy()
    truth, later_truth = units["truth"].to_numpy(), later["truth"].to_numpy()
    themes = {issue: set(first[truth == issue].tolist()) for issue in ISSUES}
    assert all(len(found) == 1 and -1 not in found for found in themes.values()), themes
    assert len({next(iter(found)) for found in themes.values()}) == len(ISSUES)
    # between refits the stored centroids assign: new near-copies join their issue's theme or,
    # less typical than the model's least typical members, stay unassigned; none joins another
    np.testing.assert_array_equal(second[: len(units)], first)
    for issue in ISSUES:
        tonight = second[len(units) :][later_truth == issue]
        assert set(tonight.tolist()) <= themes[issue] | {-1}, issue
        assert np.isin(tonight, list(themes[issue])).mean() >= 0.75, issue
    # the naming by majority share gives each catalogue theme its issue's name
    named = name_themes(first, corpus["anchors"], names=corpus["names"])
    for issue in ISSUES:
        assert named[next(iter(themes[issue]))] == corpus["names"][corpus["ids"].index(issue)]


def test_zero_shot_themes_carry_their_issue_name_without_a_majority_of_matched_units(corpus):
    """The night's naming step names a zero-shot theme after the issue it was fitted as."""
    units, ids = corpus["units"], corpus["ids"]
    shipped = [t.id for t in load_catalogue().themes]
    anchors = np.array([shipped.index(ids[a]) if a != NO_MATCH else NO_MATCH for a in corpus["anchors"]])
    with Store(":memory:") as store:
        state = load_theme_state(store)
    fit = fit_or_assign(
        state, units, corpus["vectors"], settings=SETTINGS, run_id="night-0", now=NIGHT, model_id="t", anchors=anchors
    )
    truth, theme_ids = units["truth"].to_numpy(), fit.tracked.model_theme_ids
    expected = {int(np.unique(theme_ids[truth == issue])[0]): shipped.index(issue) for issue in ISSUES}
    assert fit.zeroshot == expected
    curated = curate(fit, [])
    # no unit matched tonight: the share rule names nothing, the zero-shot themes keep their issue's name
    unmatched = np.full(len(units), NO_MATCH)
    names = catalogue_names(curated, unmatched, SETTINGS, ReportSettings(), fit)
    shipped_names = [t.name for t in load_catalogue().themes]
    assert names == {theme: shipped_names[issue] for theme, issue in expected.items()}
    assert catalogue_names(curated, unmatched, SETTINGS, ReportSettings()) == {}


def test_without_the_setting_the_catalogue_matches_change_nothing(corpus):
    units, vectors, anchors = corpus["units"], corpus["vectors"], corpus["anchors"]

    def fit(settings: ThemeSettings, anchors: np.ndarray | None):
        with Store(":memory:") as store:
            state = load_theme_state(store)
        return fit_or_assign(
            state, units, vectors, settings=settings, run_id="night-0", now=NIGHT, model_id="test", anchors=anchors
        )

    off = SETTINGS.model_copy(update={"zeroshot": False})
    plain, anchored, zeroshot = fit(off, None), fit(off, anchors), fit(SETTINGS, anchors)
    np.testing.assert_array_equal(plain.tracked.model_theme_ids, anchored.tracked.model_theme_ids)
    np.testing.assert_allclose(plain.vectors, anchored.vectors)
    assert plain.zeroshot == anchored.zeroshot == {} and len(zeroshot.zeroshot) == len(ISSUES)
    assert not np.array_equal(plain.tracked.model_theme_ids, zeroshot.tracked.model_theme_ids)


def test_a_sampled_fit_assigns_the_units_outside_the_sample_to_their_issue(corpus):
    units, vectors, anchors, ids = corpus["units"], corpus["vectors"], corpus["anchors"], corpus["ids"]
    model = fit_on_sample(
        ThemeModel(min_theme_size=6, seed=42), vectors, units=units, sample_size=60, seed=1, anchors=anchors
    )
    assert model.sample_index_ is not None and len(model.sample_index_) == 60
    outside = np.setdiff1d(np.arange(len(units)), model.sample_index_)
    truth = units["truth"].to_numpy()
    theme_of = {ids[i]: t for t, i in enumerate(model.catalogue_) if i >= 0}
    assert set(theme_of) == set(ISSUES)
    for issue in ISSUES:
        labels = model.labels_[outside[truth[outside] == issue]]
        assert len(labels) and set(labels.tolist()) <= {theme_of[issue], -1}, (issue, labels)
        assert (labels == theme_of[issue]).mean() >= 0.75, (issue, labels)
