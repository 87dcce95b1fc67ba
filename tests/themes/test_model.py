"""ThemeModel: determinism, transform consistency, cross-lingual grouping, state round-trip."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from voc.themes._model_cluster import auto_min_size, balanced_knn, exact_knn, merge_duplicates, project_pca
from voc.themes.crosslingual import LanguageAligner
from voc.themes.hierarchy import fit_parents
from voc.themes.model import ThemeModel

FIXTURE = Path(__file__).parent / "fixtures" / "five_languages.tsv"
LANGS = ("pl", "fi", "uk", "en", "de")


def synthetic(n_themes=6, per_cell=14, dim=48, lang_shift=1.6, noise=0.55, seed=0, skip=(), noise_seed=None):
    """Theme directions plus a strong per-language offset: raw vectors group by language.

    ``skip`` lists (theme, language) cells left empty, so languages differ in their theme mix;
    ``noise_seed`` draws new units around the same themes and offsets.
    """
    rng = np.random.default_rng(seed)
    themes = rng.normal(size=(n_themes, dim))
    shifts = rng.normal(size=(len(LANGS), dim)) * lang_shift
    if noise_seed is not None:
        rng = np.random.default_rng(noise_seed)
    rows, theme_of, lang_of = [], [], []
    for t in range(n_themes):
        for li, lang in enumerate(LANGS):
            if (t, lang) in skip:
                continue
            rows.append(themes[t] + shifts[li] + rng.normal(scale=noise * np.sqrt(dim) / 4, size=(per_cell, dim)))
            theme_of += [t] * per_cell
            lang_of += [lang] * per_cell
    x = np.vstack(rows).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.array(theme_of), np.array(lang_of)


@pytest.fixture(scope="module")
def fitted():
    x, theme, lang = synthetic()
    return ThemeModel(seed=7).fit(x, languages=lang), x, theme, lang


def test_finds_themes_not_languages(fitted):
    model, x, theme, lang = fitted
    raw = ThemeModel(seed=7, align="none", balanced_graph=False).fit(x, languages=lang)
    # The synthetic data is built so that raw vectors group by language: themes of one language ...
    assert np.mean([len(set(lang[raw.labels_ == t])) == 1 for t in range(len(raw.centroids_))]) >= 0.8
    # ... and the model must undo that: every theme spans the languages.
    assert all(len(set(lang[model.labels_ == t])) == len(LANGS) for t in range(len(model.centroids_)))
    assert adjusted_rand_score(theme, model.labels_) >= 0.8
    assert adjusted_rand_score(lang, model.labels_) <= 0.05
    assert np.mean(model.labels_ < 0) <= 0.10


def test_fitted_attributes(fitted):
    model, x, _, _ = fitted
    k = len(model.centroids_)
    assert model.labels_.shape == (len(x),)
    assert set(np.unique(model.labels_)) <= set(range(-1, k))
    assert set(range(k)) <= set(np.unique(model.labels_))  # every theme has members
    sizes = np.bincount(model.labels_[model.labels_ >= 0], minlength=k)
    assert np.all(np.diff(sizes) <= 0)  # numbered by size
    assert np.allclose(np.linalg.norm(model.centroids_, axis=1), 1, atol=1e-5)
    assert model.parents_.shape == (k,)
    assert set(model.parents_) == set(range(model.parents_.max() + 1))


def test_same_input_and_seed_give_same_labels(fitted):
    model, x, _, lang = fitted
    again = ThemeModel(seed=7).fit(x, languages=lang)
    np.testing.assert_array_equal(model.labels_, again.labels_)
    np.testing.assert_allclose(model.centroids_, again.centroids_, atol=1e-6)


def test_transform_matches_fit_on_training_points(fitted):
    model, x, _, lang = fitted
    labels, sims = model.transform(x, languages=lang)
    np.testing.assert_array_equal(labels, model.labels_)
    assert np.all(sims[labels >= 0] >= model.threshold_)
    assert np.all(sims[labels < 0] < model.threshold_)


def test_transform_assigns_new_units_of_known_themes(fitted):
    model, _, theme, lang = fitted
    new_x, new_theme, new_lang = synthetic(per_cell=4, noise_seed=99)  # same themes and offsets
    labels, _ = model.transform(new_x, languages=new_lang)
    assert adjusted_rand_score(new_theme, labels) >= 0.8


def test_state_round_trip_through_npz_and_json(fitted):
    model, x, _, lang = fitted
    buffer = io.BytesIO()
    np.savez(buffer, **model.get_state())
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as loaded:
        from_npz = ThemeModel.from_state(dict(loaded))
    as_json = json.loads(
        json.dumps({k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in model.get_state().items()})
    )
    from_json = ThemeModel.from_state(as_json)
    for restored in (from_npz, from_json):
        labels, sims = restored.transform(x, languages=lang)
        np.testing.assert_array_equal(labels, model.labels_)
        np.testing.assert_allclose(restored.correct(x, languages=lang), model.correct(x, languages=lang), atol=1e-5)
        np.testing.assert_array_equal(restored.parents_, model.parents_)


def test_unfitted_and_bad_input_errors():
    with pytest.raises(RuntimeError, match="not fitted"):
        ThemeModel().transform(np.zeros((2, 4)), languages=["en", "en"])
    with pytest.raises(ValueError, match="languages"):
        ThemeModel().fit(np.zeros((5, 4)), languages=["en"])


def test_tiny_input_gives_no_theme_rather_than_a_fake_one():
    x, _, lang = synthetic(n_themes=1, per_cell=1)
    model = ThemeModel().fit(x, languages=lang)
    assert len(model.centroids_) == 0 and np.all(model.labels_ == -1)
    labels, _ = model.transform(x, languages=lang)
    assert np.all(labels == -1)


def test_balanced_alignment_survives_different_theme_mix():
    # Each language lacks two themes: plain centring shifts languages by their theme mix.
    skip = {(t, lang) for i, lang in enumerate(LANGS) for t in ((i) % 6, (i + 1) % 6)}
    x, theme, lang = synthetic(skip=skip, seed=3, noise=0.5)
    scores = {}
    for align in ("centre", "balanced"):
        aligned = ThemeModel(align=align).fit(x, languages=lang).correct(x, languages=lang)
        # Nearest neighbour in another language shares the theme: the cross-lingual signal.
        sims = aligned @ aligned.T
        sims[lang[:, None] == lang[None, :]] = -np.inf
        scores[align] = np.mean(theme[sims.argmax(axis=1)] == theme)
    assert scores["balanced"] >= scores["centre"] - 0.01
    assert scores["balanced"] >= 0.9


def test_aligner_unknown_language_uses_pooled_mean():
    x, _, lang = synthetic(per_cell=5)
    aligner = LanguageAligner(balance=False).fit(x, lang)
    out = aligner.transform(x[:3], ["sv", "sv", "sv"])
    expected = x[:3] - x.mean(axis=0)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_aligner_fitted_on_no_rows_is_the_identity_without_warnings():
    """A night with nothing to theme (a header-only file) fits the aligner on zero rows."""
    import warnings

    x, _, lang = synthetic(per_cell=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aligner = LanguageAligner().fit(x[:0], [])
        out = aligner.transform(x[:3], lang[:3])
    np.testing.assert_allclose(out, x[:3] / np.linalg.norm(x[:3], axis=1, keepdims=True), atol=1e-6)


def test_aligner_gives_the_same_rows_a_chunk_at_a_time(monkeypatch):
    """Chunking bounds memory on a night of many units; it must not change a single row."""
    import voc.themes.crosslingual as crosslingual

    x, _, lang = synthetic(per_cell=5)
    aligner = LanguageAligner().fit(x, lang)
    whole = aligner.transform(x, lang)
    monkeypatch.setattr(crosslingual, "TRANSFORM_CHUNK", 7)
    chunked = aligner.transform(x, lang)
    idx = np.array([aligner.languages_.index(str(g)) for g in lang])
    expected = crosslingual.normalise_rows(
        (crosslingual.normalise_rows(x) - aligner.means_[idx]) / aligner.scales_[idx]
    )
    np.testing.assert_allclose(chunked, whole, atol=1e-6)
    np.testing.assert_allclose(chunked, expected, atol=1e-6)
    assert chunked.dtype == np.float32 and len(x) > 7


def test_balanced_knn_takes_neighbours_from_every_language():
    x, _, lang = synthetic(per_cell=6)
    idx, dist = balanced_knn(x, lang, n_neighbors=11)
    assert idx.shape == (len(x), 11)
    assert np.all(idx[:, 0] == np.arange(len(x)))  # self first ...
    assert not np.any(idx[:, 1:] == np.arange(len(x))[:, None])  # ... and only there
    assert np.all(np.diff(dist, axis=1) >= -1e-6)  # sorted by distance
    neighbour_langs = lang[idx[:, 1:]]
    for language in LANGS:
        assert np.all((neighbour_langs == language).sum(axis=1) == 2)


def test_exact_knn_matches_brute_force_with_self_first():
    x, _, _ = synthetic(per_cell=6)
    idx, dist = exact_knn(x, n_neighbors=8)
    assert idx.shape == dist.shape == (len(x), 8)
    assert np.all(idx[:, 0] == np.arange(len(x))) and np.allclose(dist[:, 0], 0.0)
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    # The k-th neighbour's distance equals the brute-force k-th largest similarity (ties aside).
    brute = 1.0 - np.sort(sims, axis=1)[:, ::-1][:, :7]
    np.testing.assert_allclose(dist[:, 1:], brute, atol=1e-5)
    assert np.all(np.diff(dist, axis=1) >= -1e-6)


def test_project_pca_keeps_unit_rows_and_width():
    x, _, _ = synthetic(per_cell=6)
    z = project_pca(x, n_components=10, seed=0)
    assert z.shape == (len(x), 10)
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(z, project_pca(x, n_components=10, seed=0))


def test_realign_on_true_themes_brings_languages_together():
    # Languages lack different themes, so means from k-means groups are biased by the theme mix;
    # offsets re-estimated on the true themes must make cross-language neighbours agree at least
    # as often.
    skip = {(t, lang) for i, lang in enumerate(LANGS) for t in ((i) % 6, (i + 1) % 6)}
    x, theme, lang = synthetic(skip=skip, seed=5, noise=0.9)

    def cross_agreement(aligned):
        sims = aligned @ aligned.T
        sims[lang[:, None] == lang[None, :]] = -np.inf
        return np.mean(theme[sims.argmax(axis=1)] == theme)

    aligner = LanguageAligner(balance=False).fit(x, lang)
    before = cross_agreement(aligner.transform(x, lang))
    after = cross_agreement(aligner.realign(x, lang, theme).transform(x, lang))
    assert after >= before + 0.05 and after >= 0.9


def test_merge_duplicates_joins_only_near_identical_centroids():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 16))
    x = np.vstack(
        [a + 0.01 * rng.normal(size=(5, 16)), a + 0.01 * rng.normal(size=(5, 16)), b + 0.01 * rng.normal(size=(5, 16))]
    )
    labels = np.repeat([0, 1, 2], 5)
    merged = merge_duplicates(x / np.linalg.norm(x, axis=1, keepdims=True), labels, threshold=0.95)
    assert len(set(merged[:10])) == 1 and merged[10] != merged[0]


def test_auto_min_size_grows_with_data():
    sizes = [auto_min_size(n) for n in (50, 1_000, 10_000, 100_000)]
    assert sizes == sorted(sizes) and sizes[0] >= 5 and sizes[-1] > sizes[0]


def test_parents_group_similar_centroids():
    rng = np.random.default_rng(1)
    bases = rng.normal(size=(2, 32))
    cents = np.vstack([bases[i // 3] + 0.1 * rng.normal(size=32) for i in range(6)])
    parents = fit_parents(cents / np.linalg.norm(cents, axis=1, keepdims=True), n_parents=2)
    assert parents.tolist() == [0, 0, 0, 1, 1, 1]


@pytest.mark.slow
def test_same_theme_in_five_languages_lands_together():
    """Real e5 embeddings of hand-written comments: 8 themes x 5 languages x 5 phrasings."""
    from voc.embed import get_embedder

    data = pd.read_csv(FIXTURE, sep="\t")
    assert set(data["language"]) == set(LANGS)
    x = get_embedder().encode(data["text"].tolist())
    lang = data["language"].to_numpy()
    model = ThemeModel().fit(x, languages=lang, texts=data["text"].tolist())
    assigned = model.labels_ >= 0
    # Raw e5 vectors of such comments group by language; here themes must not (ARI vs language ~0)
    # and must follow the planted themes (plain BERTopic reaches ~0.26 on this set).
    assert adjusted_rand_score(data["theme"][assigned], model.labels_[assigned]) >= 0.45
    assert adjusted_rand_score(lang, model.labels_) <= 0.05
    assert assigned.mean() >= 0.9
    spans = [len(set(lang[model.labels_ == t])) for t in range(len(model.centroids_))]
    assert np.mean(np.array(spans) >= 4) >= 0.8  # themes are shared by the languages
