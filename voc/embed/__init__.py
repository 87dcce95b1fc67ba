"""Sentence embeddings behind one small protocol, with a cache so a night embeds only what is new."""

from voc.embed.base import Embedder, get_embedder
from voc.embed.cache import embed_with_cache

__all__ = ["Embedder", "get_embedder", "embed_with_cache"]
