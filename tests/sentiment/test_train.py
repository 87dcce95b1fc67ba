"""Training helpers of the default head: data, weighting, calibration, the anchor baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from voc.schemas import SUPPORTED_LANGUAGES
from voc.sentiment import AnchorSentiment
from voc.sentiment.train import calibrate_temperature, group_weights, load_germeval, training_frame


def test_hand_written_data_is_balanced_per_language():
    frame = training_frame(use_germeval=False)
    assert set(frame.language) == set(SUPPORTED_LANGUAGES)
    counts = frame.groupby(["language", "label"]).size().unstack()
    # parallel texts: every language has the same rows per class, so no language leans one way
    assert (counts.nunique() == 1).all(), counts
    assert (counts["positive"] == counts["negative"]).all()
    assert set(frame.source) == {"seeds", "reviews", "colloquial", "anchors"}
    assert not frame.text.duplicated().any()


def test_germeval_reader_keeps_relevant_rows(tmp_path):
    file = tmp_path / "dev.tsv"
    file.write_text(
        "url\ttext\trelevant\tdoc_sentiment\taspects\n"
        "u1\tZug wieder zu spät\ttrue\tnegative\tx\n"
        "u2\tMorgen Konzert\tfalse\tneutral\t\n"
        "u3\tDanke für die schnelle Hilfe\ttrue\tpositive\ty\n",
        encoding="utf-8",
    )
    frame = load_germeval(file)
    assert list(frame.label) == ["negative", "positive"]
    assert list(frame.columns) == ["text", "label"]
    bad = tmp_path / "bad.tsv"
    bad.write_text("url\ttext\n1\tx\n", encoding="utf-8")
    with pytest.raises(KeyError, match="bad.tsv"):
        load_germeval(bad)


def test_germeval_counts_more_than_one_seed_language():
    weights = group_weights(np.array(["hand-pl", "germeval"]), germeval_weight=2.0)
    assert list(weights) == [1.0, 2.0]


def test_temperature_makes_the_neutral_band_catch_unclear_texts():
    # polar texts have large log-odds, neutral ones small but not tiny: at T = 1 every neutral text
    # would be pushed out of the +-0.15 band
    rng = np.random.default_rng(0)
    labels = np.array(["positive"] * 40 + ["negative"] * 40 + ["neutral"] * 40)
    decisions = np.concatenate([rng.uniform(15, 30, 40), -rng.uniform(15, 30, 40), rng.uniform(-2.5, 2.5, 40)])
    frame = pd.DataFrame({"label": labels, "group": ["hand-en"] * 60 + ["germeval"] * 60})
    T, accuracy = calibrate_temperature(frame, decisions, neutral_band=0.15)
    assert T < 0.3
    assert min(accuracy.values()) > 0.9


def test_anchor_baseline_is_a_centroid_difference():
    rng = np.random.default_rng(1)
    pos, neg = np.eye(8)[0], np.eye(8)[1]
    X = np.vstack([pos + rng.normal(0, 0.05, (5, 8)), neg + rng.normal(0, 0.05, (5, 8))])
    model = AnchorSentiment().fit(X, np.array(["positive"] * 5 + ["negative"] * 5))
    assert model.intercept_ == 0.0
    scores = model.score(np.vstack([pos, neg, (pos + neg) / 2]))
    assert scores[0] > 0.8 and scores[1] < -0.8 and abs(scores[2]) < 0.05


@pytest.mark.slow
def test_retraining_without_germeval_writes_a_loadable_head(tmp_path):
    from voc.sentiment import SentimentModel
    from voc.sentiment.train import train_default

    out = tmp_path / "head.npz"
    model, report = train_default(use_germeval=False, out=out, evaluate_cv=True)
    again = SentimentModel.load(out)
    assert np.allclose(again.coef_, model.coef_, atol=1e-6)
    assert set(report["leave_language_out"]) == set(SUPPORTED_LANGUAGES)
    assert "germeval_cv" not in report and (tmp_path / "metrics.json").exists()
    # held-out languages still well above chance even from hand-written text alone
    assert min(m["auc"] for m in report["leave_language_out"].values()) > 0.85
