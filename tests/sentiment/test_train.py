"""Training helpers of the default head: data, weighting, calibration, the anchor baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from voc.schemas import SUPPORTED_LANGUAGES
from voc.sentiment import AnchorSentiment
from voc.sentiment.train import binary_metrics, calibrate_temperature, group_weights, training_frame, weight_shares


def test_hand_written_data_is_balanced_per_language():
    frame = training_frame(None, use_real=False)
    assert set(frame.language) == set(SUPPORTED_LANGUAGES)
    counts = frame.groupby(["language", "label"]).size().unstack()
    # parallel texts: every language has the same rows per class, so no language leans one way
    assert (counts.nunique() == 1).all(), counts
    assert (counts["positive"] == counts["negative"]).all()
    assert set(frame.source) == {"seeds", "reviews", "colloquial", "anchors"}
    assert not frame.text.duplicated().any()


def test_real_training_rows_never_include_held_out_rows(labelled_sets):
    from voc.sentiment.corpora import held_out, sentiment_corpus

    frame = training_frame(labelled_sets)
    real = frame[~frame.group.str.startswith("hand-")]
    assert set(real.group) == {"polemo_hotels_pl", "finnsentiment_fi", "sb10k_de", "germeval2017", "airline_tweets_en"}
    assert not held_out(real).any()
    reserved = sentiment_corpus(data_dir=labelled_sets)
    assert not set(reserved.loc[reserved.held_out, "text"]) & set(frame.text)


def test_a_language_weighs_the_same_whatever_its_number_of_sets():
    groups = np.array(["sb10k_de", "germeval2017", "polemo_hotels_pl", "hand-uk", "hand-pl"])
    langs = np.array(["de", "de", "pl", "uk", "pl"])
    assert list(group_weights(groups, langs, hand_weight=0.5)) == [0.5, 0.5, 1.0, 0.5, 0.5]
    frame = pd.DataFrame(
        {"group": groups.repeat(2), "language": langs.repeat(2), "label": ["positive", "negative"] * 5}
    )
    shares = weight_shares(frame, hand_weight=0.5)
    assert shares["sb10k_de"] + shares["germeval2017"] == pytest.approx(shares["polemo_hotels_pl"], abs=1e-3)
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)


def test_temperature_makes_the_neutral_band_catch_unclear_texts():
    # polar texts have large log-odds, neutral ones small but not tiny: at T = 1 every neutral text
    # would be pushed out of the +-0.15 band
    rng = np.random.default_rng(0)
    labels = np.array(["positive"] * 40 + ["negative"] * 40 + ["neutral"] * 40)
    decisions = np.concatenate([rng.uniform(15, 30, 40), -rng.uniform(15, 30, 40), rng.uniform(-2.5, 2.5, 40)])
    frame = pd.DataFrame({"label": labels, "group": ["hand-en", "sb10k_de"] * 60})
    T, f1 = calibrate_temperature(frame, decisions, neutral_band=0.15)
    assert T < 0.3
    assert set(f1) == {"hand-written", "sb10k_de"} and min(f1.values()) > 0.9


def test_binary_metrics_balance_the_classes():
    labels = np.array(["negative"] * 8 + ["positive"] * 2 + ["neutral"] * 2)
    scores = np.array([-0.9] * 8 + [0.5, -0.1] + [0.0, 0.05])
    m = binary_metrics(labels, scores)
    assert m["n_polar"] == 10 and m["n_neutral"] == 2
    assert m["binary_accuracy"] == pytest.approx(0.75)  # (8/8 + 1/2) / 2, not 9/10
    assert m["auc"] == pytest.approx(1.0)
    assert 0 < m["macro_f1_3way"] < 1


def test_anchor_baseline_is_a_centroid_difference():
    rng = np.random.default_rng(1)
    pos, neg = np.eye(8)[0], np.eye(8)[1]
    X = np.vstack([pos + rng.normal(0, 0.05, (5, 8)), neg + rng.normal(0, 0.05, (5, 8))])
    model = AnchorSentiment().fit(X, np.array(["positive"] * 5 + ["negative"] * 5))
    assert model.intercept_ == 0.0
    scores = model.score(np.vstack([pos, neg, (pos + neg) / 2]))
    assert scores[0] > 0.8 and scores[1] < -0.8 and abs(scores[2]) < 0.05


@pytest.mark.slow
def test_retraining_on_hand_written_texts_writes_a_loadable_head(tmp_path):
    from voc.sentiment import SentimentModel
    from voc.sentiment.train import train_default

    out = tmp_path / "head.npz"
    from voc.config import load_settings

    cache_dir = load_settings().cache_dir  # the vectors of the hand-written texts are reused between runs
    model, report = train_default(data_dir=None, cache_dir=cache_dir, use_real=False, out=out, evaluate_cv=True)
    again = SentimentModel.load(out)
    assert np.allclose(again.coef_, model.coef_, atol=1e-6)
    assert (tmp_path / "metrics.json").exists() and report["temperature"] > 0
    assert set(report["weight_share"]) == {f"hand-{lang}" for lang in SUPPORTED_LANGUAGES}
    # out of fold, hand-written texts alone already separate tone well
    assert report["out_of_fold"]["hand-written"]["auc"] > 0.85
