"""Score records or sentences: the step the pipeline calls."""

from __future__ import annotations

import numpy as np
import pandas as pd

from voc.sentiment.default import load_default_model
from voc.sentiment.model import SentimentModel, label_scores


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
    X = np.asarray(embeddings, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"embeddings must be 2-D (n, dim), got shape {X.shape}")
    scores = model.score(X) if len(X) else np.zeros(0)
    scores = np.where(np.abs(X).sum(axis=1) > 0, scores, np.nan) if len(X) else scores
    labels = pd.Series(label_scores(scores, neutral_band=neutral_band), dtype=object)
    return pd.DataFrame({"sentiment": scores, "sentiment_label": labels})
