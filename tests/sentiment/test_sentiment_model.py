"""SentimentModel on synthetic embeddings: fitting, scoring, labels, balance, prior, persistence."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from voc.sentiment import SentimentModel, label_scores, score_sentiment
from voc.sentiment.model import binary_targets


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _toy(n=400, dim=32, seed=0):
    rng = np.random.default_rng(seed)
    direction = _unit(rng.normal(size=(1, dim)))[0]
    y = rng.random(n) < 0.5
    X = _unit(rng.normal(size=(n, dim)) * 0.3 + np.where(y, 1.0, -1.0)[:, None] * direction)
    return X, y.astype(int), direction


def test_fit_scores_in_range_and_separates():
    X, y, _ = _toy()
    model = SentimentModel().fit(X[:300], y[:300])
    scores = model.score(X[300:])
    assert scores.shape == (100,) and np.all(np.abs(scores) <= 1)
    assert roc_auc_score(y[300:], scores) > 0.95
    assert np.allclose(model.predict_proba(X[:5]).sum(axis=1), 1)


def test_labels_follow_the_neutral_band():
    labels = label_scores(np.array([-0.9, -0.15, 0.0, 0.1499, 0.2, np.nan]), neutral_band=0.15)
    assert list(labels) == ["negative", "neutral", "neutral", "neutral", "positive", None]
    model = SentimentModel(neutral_band=0.5)
    assert list(model.label(np.array([0.4, 0.6]))) == ["neutral", "positive"]


def test_binary_targets_accepts_strings_bools_and_numbers():
    y, polar = binary_targets(np.array(["positive", "neutral", "NEGATIVE"]))
    assert list(polar) == [True, False, True] and y[0] == 1 and y[2] == 0
    y, polar = binary_targets(np.array([0, 1, 1]))
    assert polar.all() and list(y) == [0, 1, 1]
    y, polar = binary_targets(np.array([-1, 0, 1]))
    assert list(polar) == [True, False, True] and list(y[[0, 2]]) == [0, 1]
    with pytest.raises(ValueError, match="unknown sentiment labels"):
        binary_targets(np.array(["good"]))


def test_neutral_rows_are_ignored_and_one_class_is_an_error():
    X, y, _ = _toy(100)
    labels = np.where(y == 1, "positive", "negative").astype(object)
    labels[:50] = "neutral"
    assert SentimentModel().fit(X, labels).n_train_ == 50
    with pytest.raises(ValueError, match="both positive and negative"):
        SentimentModel().fit(X, np.full(100, "positive"))


def test_balance_by_group_keeps_group_identity_out_of_the_head():
    # group A (mostly negative) and group B (mostly positive) differ along their own direction
    rng = np.random.default_rng(1)
    dim, n = 16, 1000
    tone, lang = np.eye(dim)[0], np.eye(dim)[1]
    group = rng.random(n) < 0.5
    y = np.where(group, rng.random(n) < 0.85, rng.random(n) < 0.15)
    X = _unit(
        rng.normal(size=(n, dim)) * 0.5
        + np.where(y, 1, -1)[:, None] * tone * 0.5
        + np.where(group, 1, -1)[:, None] * lang
    )
    plain = SentimentModel(balance=False).fit(X, y.astype(int))
    balanced = SentimentModel(balance=True).fit(X, y.astype(int), groups=group)
    share = lambda m: abs(m.coef_ @ lang) / abs(m.coef_ @ tone)  # noqa: E731
    assert share(balanced) < share(plain) / 3


def test_strong_prior_keeps_the_prior_weights():
    X, y, direction = _toy(200)
    prior = -direction * 3  # deliberately the wrong way round
    model = SentimentModel(alpha=1e4, prior_coef=prior).fit(X, y)
    assert np.allclose(model.coef_, prior, atol=1e-2)


def test_save_load_roundtrip_without_pickle(tmp_path):
    X, y, _ = _toy(200)
    model = SentimentModel(neutral_band=0.2).fit(X, y)
    model.meta_ = {"kind": "test", "n_train": 200}
    path = model.save(tmp_path / "head.npz")
    with np.load(path, allow_pickle=False) as data:
        assert set(data.files) >= {"coef", "intercept", "meta"}
    again = SentimentModel.load(path)
    assert again.neutral_band == 0.2 and again.meta_["kind"] == "test"
    assert np.allclose(again.score(X), model.score(X), atol=1e-5)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        SentimentModel.load(tmp_path / "missing.npz")


def test_score_sentiment_frame_and_empty_rows():
    X, y, _ = _toy(50)
    model = SentimentModel().fit(X, y)
    X = X.copy()
    X[3] = 0.0  # a record without text
    frame = score_sentiment(X, model=model, neutral_band=0.1)
    assert list(frame.columns) == ["sentiment", "sentiment_label"] and len(frame) == 50
    assert np.isnan(frame.sentiment[3]) and frame.sentiment_label[3] is None
    assert set(frame.sentiment_label.dropna()) <= {"negative", "neutral", "positive"}
    assert score_sentiment(np.zeros((0, 32)), model=model).empty


def test_wrong_dimension_is_named():
    X, y, _ = _toy(50)
    model = SentimentModel().fit(X, y)
    with pytest.raises(ValueError, match=r"\(n, 32\)"):
        model.score(np.zeros((2, 8)))
    with pytest.raises(RuntimeError, match="not fitted"):
        SentimentModel().score(X)
