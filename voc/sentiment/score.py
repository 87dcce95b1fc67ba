"""Score records or sentences: the step the pipeline calls."""

from __future__ import annotations

import numpy as np
import pandas as pd

from voc.sentiment.default import load_default_model
from voc.sentiment.model import SentimentModel, label_scores

#: rows scored at once (bounds the step's working memory, not its result)
BLOCK_ROWS = 16_384


def score_sentiment(
    embeddings: np.ndarray,
    *,
    model: SentimentModel | None = None,
    neutral_band: float = 0.15,
) -> pd.DataFrame:
    """Sentiment and its label for each row of ``embeddings``.

    Works for records and for theme mentions (sentences) alike: pass their embeddings.

    Parameters
    ----------
    embeddings : ndarray of shape (n, dim)
    model : SentimentModel, optional
        Defaults to the shipped head (:func:`load_default_model`).
    neutral_band : float
        Scores within ``+-neutral_band`` are labelled neutral.

    Returns
    -------
    DataFrame with n rows and columns ``sentiment`` (float in [-1, 1]; NaN for an all-zero row,
    i.e. no text) and ``sentiment_label`` (``negative`` | ``neutral`` | ``positive``; None with NaN).
    """
    model = model or load_default_model()
    X = np.asarray(embeddings)
    if X.ndim != 2:
        raise ValueError(f"embeddings must be 2-D (n, dim), got shape {X.shape}")
    scores = np.zeros(len(X))
    # in blocks: a float64 copy of a night's unit vectors (and of their absolute values) would
    # hold gigabytes at a few hundred thousand units for a score that needs one row at a time
    for start in range(0, len(X), BLOCK_ROWS):
        block = np.asarray(X[start : start + BLOCK_ROWS], dtype=np.float64)
        scores[start : start + len(block)] = np.where(np.abs(block).sum(axis=1) > 0, model.score(block), np.nan)
    labels = pd.Series(label_scores(scores, neutral_band=neutral_band), dtype=object)
    return pd.DataFrame({"sentiment": scores, "sentiment_label": labels})
