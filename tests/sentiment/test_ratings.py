"""Learning a head from ratings, and the fallback to the default head."""

from __future__ import annotations

import numpy as np
import pytest

from voc.config import SentimentSettings
from voc.sentiment import fit_from_ratings, load_default_model, ratings_to_labels


def test_weak_labels_per_scale():
    scores = [0, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 3, 4, 5, 2, 3, None, 9]
    types = ["nps"] * 6 + ["csat"] * 5 + ["ces"] * 3 + ["stars"] * 2 + ["nps", "unknown"]
    labels = ratings_to_labels(scores, types)
    expected = [0, 0, np.nan, np.nan, 1, 1, 0, 0, np.nan, 1, 1, 0, np.nan, 1, 0, np.nan, np.nan, np.nan]
    np.testing.assert_array_equal(labels, np.array(expected, dtype=float))


def _rated(n, *, positive_share=0.5, seed=0):
    """Embeddings whose tone lies along a direction the default head does not use.

    The business's customers say "positive" in a way only their own ratings reveal, which is
    what learning from ratings is for.
    """
    rng = np.random.default_rng(seed)
    default = load_default_model()
    dim = len(default.coef_)
    direction = rng.normal(size=dim)
    direction -= direction @ default.coef_ / (default.coef_ @ default.coef_) * default.coef_
    direction /= np.linalg.norm(direction)
    positive = rng.random(n) < positive_share
    X = rng.normal(size=(n, dim)) * 0.04 + np.where(positive, 1, -1)[:, None] * direction * 0.12
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    scores = np.where(positive, rng.choice([9, 10], n), rng.choice(np.arange(0, 7), n)).astype(float)
    return X, scores, np.full(n, "nps", dtype=object)


def test_learns_from_enough_two_sided_ratings():
    X, scores, types = _rated(400)
    model, info = fit_from_ratings(X, scores, types, settings=SentimentSettings(min_ratings=200))
    assert info["used"] == "ratings", info
    assert info["n"] == 400 and info["cv_auc"] > 0.9 > info["default_auc"]
    assert model.score(X[:5]).shape == (5,)


def test_many_ratings_fit_on_a_sample_that_keeps_the_tones_in_proportion():
    X, scores, types = _rated(3_000, positive_share=0.3, seed=3)
    settings = SentimentSettings(min_ratings=200, fit_sample_size=1_000)
    model, info = fit_from_ratings(X, scores, types, settings=settings)
    assert info["used"] == "ratings" and info["n"] == 3_000  # every usable rating is counted
    assert model.meta_["n_train"] == 1_000
    # fresh rows with the same tone direction are scored as well as by a head fitted on all
    full, _ = fit_from_ratings(X, scores, types, settings=SentimentSettings(min_ratings=200, fit_sample_size=None))
    assert full.meta_["n_train"] == 3_000
    test_X, test_scores, _ = _rated(1_000, positive_share=0.3, seed=3)
    positive = test_scores >= 9
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(positive, model.score(test_X)) > roc_auc_score(positive, full.score(test_X)) - 0.01


def test_falls_back_when_too_few():
    X, scores, types = _rated(120)
    model, info = fit_from_ratings(X, scores, types, settings=SentimentSettings(min_ratings=200))
    assert info["used"] == "default" and "min_ratings" in info["reason"]
    assert np.allclose(model.coef_, load_default_model().coef_)


def test_falls_back_when_one_sided():
    X, scores, types = _rated(500, positive_share=0.03)
    _, info = fit_from_ratings(X, scores, types, settings=SentimentSettings(min_ratings=200))
    assert info["used"] == "default" and "one-sided" in info["reason"]


def test_passives_and_unrated_rows_do_not_count():
    X, scores, types = _rated(300)
    scores[:150] = 8  # passives: no clear tone
    types[150:200] = None
    _, info = fit_from_ratings(X, scores, types, settings=SentimentSettings(min_ratings=200))
    assert info["n"] == 100 and info["used"] == "default"


def test_switched_off_and_band_from_settings():
    X, scores, types = _rated(400)
    model, info = fit_from_ratings(
        X, scores, types, settings=SentimentSettings(learn_from_ratings=False, neutral_band=0.3)
    )
    assert info["used"] == "default" and "switched off" in info["reason"]
    assert model.neutral_band == 0.3


def test_length_mismatch_is_an_error():
    X, scores, types = _rated(10)
    with pytest.raises(ValueError, match="scores"):
        fit_from_ratings(X, scores[:5], types[:5], settings=SentimentSettings())
