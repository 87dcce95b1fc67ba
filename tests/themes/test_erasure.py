"""Concept erasers (language, tone) and ThemeModel's erasure options, on synthetic vectors.

The synthetic rows are topic directions plus a per-language offset plus a tone direction plus
noise: raw rows tell the language and the tone apart easily, and an eraser must take exactly that
away while the topics stay separable.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score

from voc.themes.erasure import (
    DirectionEraser,
    DiscriminativeDimensionEraser,
    LeaceEraser,
    LinearEraser,
    MeanSubspaceEraser,
    make_eraser,
)
from voc.themes.model import ThemeModel

LANGS = ("pl", "fi", "uk", "en", "de")
DIM = 48
LANGUAGE_DIMS = 6  # language offsets live in these axes, as the "language-specific dimensions" of Chang et al.


def synthetic(n_per_cell: int = 12, n_topics: int = 5, seed: int = 0):
    """Rows (n, DIM), topic (n,), language (n,), tone (n,) and the tone direction (DIM,)."""
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(n_topics, DIM)) * 1.2
    shifts = np.zeros((len(LANGS), DIM))
    shifts[:, :LANGUAGE_DIMS] = rng.normal(size=(len(LANGS), LANGUAGE_DIMS)) * 3.0
    tone_axis = np.zeros(DIM)
    tone_axis[-1] = 1.0
    rows, topic_of, lang_of, tone_of = [], [], [], []
    for t in range(n_topics):
        for li, lang in enumerate(LANGS):
            tone = rng.choice([-1.0, 1.0], size=n_per_cell)
            noise = rng.normal(scale=0.5, size=(n_per_cell, DIM))
            rows.append(topics[t] + shifts[li] + 2.5 * tone[:, None] * tone_axis + noise)
            topic_of += [t] * n_per_cell
            lang_of += [lang] * n_per_cell
            tone_of += tone.tolist()
    order = rng.permutation(len(topic_of))
    x = np.vstack(rows)[order]
    return x, np.array(topic_of)[order], np.array(lang_of)[order], np.array(tone_of)[order], tone_axis


def probe_accuracy(train_x, train_y, test_x, test_y) -> float:
    """Held-out accuracy of a linear probe (logistic regression)."""
    probe = LogisticRegression(max_iter=2000).fit(train_x, train_y)
    return float(np.mean(probe.predict(test_x) == test_y))


ERASERS = {
    "lsar": lambda: MeanSubspaceEraser(),
    "fdrop": lambda: DiscriminativeDimensionEraser(drop_share=LANGUAGE_DIMS / DIM),
    "leace": lambda: LeaceEraser(),
}


@pytest.mark.parametrize("name", sorted(ERASERS))
def test_eraser_removes_language_on_unseen_rows_and_keeps_topics(name):
    x, topic, lang, _, _ = synthetic()
    half = len(x) // 2
    train, test = slice(0, half), slice(half, None)
    chance = 1.0 / len(LANGS)
    # The data is built so that a probe tells languages apart before erasure ...
    assert probe_accuracy(x[train], lang[train], x[test], lang[test]) > 0.9
    eraser = ERASERS[name]().fit(x[train], lang[train])
    erased_train, erased_test = eraser.transform(x[train]), eraser.transform(x[test])
    assert erased_test.shape == x[test].shape
    # ... and not after it, on rows the eraser never saw.
    assert probe_accuracy(erased_train, lang[train], erased_test, lang[test]) < chance + 0.12
    assert probe_accuracy(erased_train, topic[train], erased_test, topic[test]) > 0.9


def test_direction_eraser_removes_the_tone_axis():
    x, topic, _, tone, tone_axis = synthetic()
    half = len(x) // 2
    assert probe_accuracy(x[:half], tone[:half], x[half:], tone[half:]) > 0.9
    erased = DirectionEraser(tone_axis * 3.0).fit(x).transform(x)
    assert np.allclose(erased @ tone_axis, 0.0, atol=1e-5)
    assert probe_accuracy(erased[:half], tone[:half], erased[half:], tone[half:]) < 0.65
    assert probe_accuracy(erased[:half], topic[:half], erased[half:], topic[half:]) > 0.9


def test_direction_eraser_names_a_width_mismatch():
    with pytest.raises(ValueError, match="width 5, the rows 4"):
        DirectionEraser(np.ones(5)).fit(np.ones((3, 4)))


def test_fdrop_zeroes_the_most_language_telling_dimensions():
    x, _, lang, _, _ = synthetic()
    eraser = DiscriminativeDimensionEraser(drop_share=LANGUAGE_DIMS / DIM).fit(x, lang)
    assert set(eraser.dropped_.tolist()) == set(range(LANGUAGE_DIMS))
    erased = eraser.transform(x)
    assert np.allclose(erased[:, :LANGUAGE_DIMS], 0.0)
    assert np.allclose(erased[:, LANGUAGE_DIMS:], x[:, LANGUAGE_DIMS:], atol=1e-5)


def test_lsar_output_is_orthogonal_to_the_language_mean_subspace():
    x, _, lang, _, _ = synthetic()
    eraser = MeanSubspaceEraser().fit(x, lang)
    assert eraser.rank_ == len(LANGS) - 1
    erased = eraser.transform(x)
    assert np.allclose(erased @ eraser.right_.T, 0.0, atol=1e-4)
    assert MeanSubspaceEraser(n_directions=2).fit(x, lang).rank_ == 2


def test_centre_option_centres_the_fitted_rows():
    x, _, lang, _, _ = synthetic()
    x = x + 10.0  # a large common direction, like the one all e5 vectors share
    for name in ("lsar", "fdrop", "leace"):
        plain = make_eraser(name).fit(x, lang).transform(x)
        centred = make_eraser(name, centre=True).fit(x, lang).transform(x)
        assert np.abs(centred.mean(axis=0)).max() < 1e-3, name
        assert np.abs(plain.mean(axis=0)).max() > 1.0, name


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(min_value=12, max_value=60),
    d=st.integers(min_value=2, max_value=12),
    k=st.integers(min_value=2, max_value=4),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_leace_equalises_class_means_whatever_the_data(n, d, k, seed):
    """LEACE's guarantee: after erasure every class has the same mean (no linear probe beats a constant)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    x = rng.normal(size=(n, d)) + rng.normal(scale=3.0, size=(k, d))[y]
    erased = LeaceEraser(shrinkage=0.0).fit(x, y).transform(x)
    assert erased.shape == x.shape
    means = np.vstack([erased[y == c].mean(axis=0) for c in range(k)])
    scale = max(1.0, float(np.abs(x).max()))
    assert np.abs(means - means.mean(axis=0)).max() < 1e-3 * scale


@settings(max_examples=20, deadline=None)
@given(
    name=st.sampled_from(["lsar", "fdrop", "leace"]),
    centre=st.booleans(),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_state_round_trip_gives_the_same_map(name, centre, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 8))
    y = np.arange(40) % 3
    eraser = make_eraser(name, centre=centre).fit(x, y)
    buffer = io.BytesIO()
    np.savez(buffer, **eraser.get_state("e"))
    buffer.seek(0)
    reloaded = LinearEraser.from_state(dict(np.load(buffer)), "e")
    new_rows = rng.normal(size=(5, 8))
    assert np.allclose(reloaded.transform(new_rows), eraser.transform(new_rows), atol=1e-4)


def test_eraser_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown eraser 'pca'"):
        make_eraser("pca")
    with pytest.raises(ValueError, match="3 rows but 2 labels"):
        LeaceEraser().fit(np.ones((3, 2)), ["a", "b"])
    with pytest.raises(RuntimeError, match="not fitted"):
        LeaceEraser().transform(np.ones((3, 2)))
    with pytest.raises(ValueError, match="width 2"):
        LeaceEraser().fit(np.eye(4)[:, :2], [0, 1, 0, 1]).transform(np.ones((1, 3)))


# --- ThemeModel options -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def erased_model():
    x, topic, lang, _, tone_axis = synthetic(n_per_cell=14, seed=3)
    model = ThemeModel(seed=5, erase="leace", erase_tone=tone_axis).fit(x, languages=lang.tolist())
    return model, x, topic, lang


def test_theme_model_with_erasers_finds_topics_not_languages(erased_model):
    model, x, topic, lang = erased_model
    assert model.eraser_ is not None and model.tone_eraser_ is not None
    assert adjusted_rand_score(topic, model.labels_) > 0.8
    assert abs(adjusted_rand_score(lang, model.labels_)) < 0.05


def test_theme_model_state_with_erasers_round_trips(erased_model):
    """A nightly run reloads the model from its state and calls correct() / transform() on new units."""
    model, x, _, lang = erased_model
    buffer = io.BytesIO()
    np.savez(buffer, **model.get_state())
    buffer.seek(0)
    reloaded = ThemeModel.from_state(dict(np.load(buffer)))
    assert reloaded.eraser_ is not None and reloaded.tone_eraser_ is not None
    new_x, _, new_lang, _, _ = synthetic(n_per_cell=3, seed=3)
    assert np.allclose(
        reloaded.correct(new_x, languages=new_lang.tolist()),
        model.correct(new_x, languages=new_lang.tolist()),
        atol=1e-5,
    )
    labels, _ = reloaded.transform(new_x, languages=new_lang.tolist())
    expected, _ = model.transform(new_x, languages=new_lang.tolist())
    assert np.array_equal(labels, expected)
    # Without the erasers in the state the correction differs: they are really part of it.
    stripped = {k: v for k, v in model.get_state().items() if not k.startswith(("eraser_", "tone_eraser_"))}
    assert not np.allclose(
        ThemeModel.from_state(stripped).correct(new_x, languages=new_lang.tolist()),
        model.correct(new_x, languages=new_lang.tolist()),
        atol=1e-3,
    )


def test_theme_model_state_with_erasers_survives_the_registry_encoding(erased_model):
    """The nightly path: the state is stored as JSON text by the theme registry and decoded again."""
    from voc.themes.registry import decode_state, encode_state

    model, x, _, lang = erased_model
    reloaded = ThemeModel.from_state(decode_state(encode_state(model.get_state())))
    assert np.allclose(
        reloaded.correct(x, languages=lang.tolist()), model.correct(x, languages=lang.tolist()), atol=1e-5
    )
    assert np.array_equal(reloaded.transform(x, languages=lang.tolist())[0], model.labels_)


def test_theme_model_head_tone_erasure_makes_the_head_blind():
    from voc.sentiment.default import load_default_model

    head = load_default_model()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, len(head.coef_))) + 4.0 * head.coef_ / np.linalg.norm(head.coef_) * rng.choice(
        [-1, 1], size=(60, 1)
    )
    model = ThemeModel(align="none", scale=False, erase_tone="head").fit(x, languages=["en"] * 60)
    corrected = model.correct(x, languages=["en"] * 60)
    assert np.abs(corrected @ head.coef_).max() < 1e-4
    assert (
        np.abs(
            ThemeModel(align="none", scale=False).fit(x, languages=["en"] * 60).correct(x, languages=["en"] * 60)
            @ head.coef_
        ).max()
        > 0.5
    )


def test_theme_model_defaults_erase_nothing_and_bad_options_are_named():
    x, _, lang, _, _ = synthetic(n_per_cell=4)
    model = ThemeModel().fit(x, languages=lang.tolist())
    assert model.eraser_ is None and model.tone_eraser_ is None
    assert "eraser_mean" not in model.get_state()
    with pytest.raises(ValueError, match="erase must be"):
        ThemeModel(erase="pca").fit(x, languages=lang.tolist())
    with pytest.raises(ValueError, match="erase_tone must be"):
        ThemeModel(erase_tone="loud").fit(x, languages=lang.tolist())
    with pytest.raises(ValueError, match="sentiment head's width"):
        ThemeModel(erase_tone="head").fit(x, languages=lang.tolist())
