"""The shipped head on real labelled rows it was never trained on (skipped without the public sets).

Rows come from :func:`voc.sentiment.corpora.sentiment_corpus` with ``held_out`` set, which
training never reads; the full per-set figures are in ``python -m bench.sentiment_quality``.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from voc.config import load_settings
from voc.sentiment.corpora import SETS, available_sets

pytestmark = pytest.mark.slow

#: polar held-out rows per set: enough for a stable AUC, few enough to embed in seconds
PER_SET = 120


@pytest.fixture(scope="module")
def held_out_rows():
    settings = load_settings()
    sets = [name for name in available_sets(data_dir=settings.shared_data_root) if name in SETS]
    if not sets:
        pytest.skip("public labelled sets not on this machine (../shared/data or VOC_SHARED_DATA)")
    from voc.sentiment.corpora import sentiment_corpus
    from voc.sentiment.vector_cache import cache_root, cached_encode

    corpus = sentiment_corpus(data_dir=settings.shared_data_root, sets=sets)
    rows = corpus[corpus["held_out"] & corpus["label"].isin(["negative", "positive"])]
    rows = rows.groupby("set", group_keys=False).apply(lambda g: g.sort_values("text").head(PER_SET))
    return rows.assign(vector=list(cached_encode(rows["text"].tolist(), root=cache_root(settings.cache_dir))))


def test_shipped_head_beats_the_anchor_phrases_per_language(held_out_rows):
    from voc.embed import get_embedder
    from voc.sentiment import build_anchor_model, score_sentiment

    anchors = build_anchor_model(get_embedder())
    for lang, part in held_out_rows.groupby("language"):
        X = np.vstack(part["vector"].to_numpy())
        truth = (part["label"] == "positive").to_numpy()
        head_auc = roc_auc_score(truth, score_sentiment(X)["sentiment"])
        anchor_auc = roc_auc_score(truth, anchors.score(X))
        assert head_auc > 0.8, (lang, head_auc)
        assert head_auc >= anchor_auc - 0.01, (lang, head_auc, anchor_auc)
