"""Sentiment per record and per theme mention, plus effort and churn-intent cues.

Heads work on the 384-d e5 embeddings the pipeline already computes (:mod:`voc.embed`), so scoring
costs one matrix product. The shipped default head is described in
``models/sentiment/MODEL_CARD.md``; :func:`fit_from_ratings` adapts it to a business's own ratings.
"""

from voc.sentiment.anchors import AnchorSentiment, build_anchor_model
from voc.sentiment.cues import detect_cues
from voc.sentiment.default import default_model_for, default_model_path, head_fits, load_default_model
from voc.sentiment.model import SentimentModel, label_scores
from voc.sentiment.ratings import fit_from_ratings, ratings_to_labels
from voc.sentiment.score import score_sentiment

__all__ = [
    "AnchorSentiment",
    "SentimentModel",
    "build_anchor_model",
    "default_model_for",
    "default_model_path",
    "detect_cues",
    "fit_from_ratings",
    "label_scores",
    "head_fits",
    "load_default_model",
    "ratings_to_labels",
    "score_sentiment",
]
