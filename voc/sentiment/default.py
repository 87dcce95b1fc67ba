"""Where the shipped default head lives and how it is loaded (once per process)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from voc.sentiment.model import SentimentModel

#: ``models/sentiment/`` at the repository root; the package data of an installed wheel mirrors it.
MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "sentiment"
DEFAULT_HEAD = "head.npz"


def default_model_path() -> Path:
    """Path of the shipped head (``models/sentiment/head.npz``)."""
    return MODEL_DIR / DEFAULT_HEAD


@lru_cache(maxsize=1)
def _cached_default() -> SentimentModel:
    return SentimentModel.load(default_model_path())


def load_default_model(*, neutral_band: float | None = None) -> SentimentModel:
    """The default multilingual head shipped with the project (see ``models/sentiment/MODEL_CARD.md``).

    Parameters
    ----------
    neutral_band : float, optional
        Overrides the band saved with the head.

    Raises
    ------
    FileNotFoundError
        Naming the expected path when the head is missing; retrain it with
        ``python -m voc.sentiment.train``.
    """
    shipped = _cached_default()
    model = SentimentModel(neutral_band=shipped.neutral_band if neutral_band is None else neutral_band)
    model.coef_, model.intercept_ = shipped.coef_, shipped.intercept_
    model.n_train_, model.meta_ = shipped.n_train_, dict(shipped.meta_)
    return model
