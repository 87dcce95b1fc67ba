"""Zero-shot baseline: cosine to centroids of hand-written positive and negative anchor phrases.

Kept as the yardstick every trained head must beat (``bench/sentiment_quality.py``) and as a
head that needs nothing but the embedder. ``cos(x, c_pos) - cos(x, c_neg)`` is linear in ``x``,
so the baseline is a :class:`SentimentModel` with ``coef = k (c_pos/|c_pos| - c_neg/|c_neg|)``
and shares its scoring, labelling and persistence.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from voc.schemas import SUPPORTED_LANGUAGES
from voc.sentiment.model import SentimentModel, binary_targets

_HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=4)
def load_phrases(name: str = "anchors") -> dict[str, dict[str, list[str]]]:
    """Read ``voc/sentiment/<name>.yaml``: ``{language: {positive|negative|neutral: [text]}}``."""
    file = _HERE / f"{name}.yaml"
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    for lang, classes in data.items():
        for cls in classes:
            if cls not in ("positive", "negative", "neutral"):
                raise ValueError(f"{file}: language {lang!r} has unknown class {cls!r}")
    return data


def phrase_table(
    name: str = "anchors", languages: Sequence[str] = SUPPORTED_LANGUAGES
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Flatten a phrase file into (texts, labels, languages), each of length n."""
    texts: list[str] = []
    labels: list[str] = []
    langs: list[str] = []
    for lang in languages:
        for cls, items in load_phrases(name).get(lang, {}).items():
            texts += items
            labels += [cls] * len(items)
            langs += [lang] * len(items)
    return texts, np.array(labels), np.array(langs)


class AnchorSentiment(SentimentModel):
    """Centroid-difference head fitted on anchor embeddings (no learned weights).

    Parameters
    ----------
    neutral_band : float
        As in :class:`SentimentModel`.
    sharpness : float
        The polar anchors' mean centroid difference is mapped to ``tanh(sharpness / 2)``; with the
        default 4 an anchor-like text scores about 0.96 and a text half as close about 0.76.
    """

    def __init__(self, *, neutral_band: float = 0.15, sharpness: float = 4.0):
        super().__init__(neutral_band=neutral_band, balance=False)
        self.sharpness = sharpness

    def fit(self, embeddings: np.ndarray, labels: np.ndarray, **_: object) -> AnchorSentiment:
        """Build the centroids from anchor embeddings (n, dim) and their labels (n,)."""
        X = np.asarray(embeddings, dtype=np.float64)
        y, polar = binary_targets(labels)
        pos = X[polar & (y == 1)].mean(axis=0)
        neg = X[polar & (y == 0)].mean(axis=0)
        direction = pos / np.linalg.norm(pos) - neg / np.linalg.norm(neg)
        spread = np.abs(X[polar] @ direction).mean()
        # zero where the text is equally close to both centroids, as in the plain cosine baseline
        scale = self.sharpness / max(spread, 1e-9)
        self.coef_ = direction * scale
        self.intercept_ = 0.0
        self.n_train_ = int(polar.sum())
        self.meta_ = {"kind": "anchors", "n_train": self.n_train_}
        return self


def build_anchor_model(embedder=None, *, neutral_band: float = 0.15) -> AnchorSentiment:
    """Embed the shipped anchor phrases in all supported languages and fit the baseline.

    Parameters
    ----------
    embedder : voc.embed.Embedder, optional
        Defaults to :func:`voc.embed.get_embedder` with default settings.
    """
    if embedder is None:
        from voc.embed import get_embedder

        embedder = get_embedder()
    texts, labels, _ = phrase_table("anchors")
    return AnchorSentiment(neutral_band=neutral_band).fit(embedder.encode(texts), labels)
