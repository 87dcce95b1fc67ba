"""Cache-aware encoding: look vectors up by (text hash, model id), embed only the misses."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from voc.embed.base import Embedder


def text_hash(text: str) -> str:
    """sha1 of the text as embedded; the cache key together with the model id."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def embed_with_cache(
    texts: Sequence[str],
    embedder: Embedder,
    *,
    lookup: Callable[[list[str], str], Mapping[str, np.ndarray]],
    save: Callable[[list[str], np.ndarray, str], None],
    batch_size: int = 512,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Embed ``texts``, reusing cached vectors.

    Parameters
    ----------
    texts : sequence of str, length n
    embedder : Embedder
    lookup : callable(hashes, model_id) -> {hash: vector}
        Usually :meth:`voc.store.Store.get_embeddings`.
    save : callable(hashes, vectors, model_id)
        Usually :meth:`voc.store.Store.put_embeddings`; called per batch so a crash keeps the work.
    progress : callable(n_done), optional

    Returns
    -------
    ndarray of shape (n, embedder.dim), float32
    """
    hashes = [text_hash(t) for t in texts]
    unique = list(dict.fromkeys(hashes))
    found = dict(lookup(unique, embedder.model_id))
    missing = [h for h in unique if h not in found]
    first_text = {h: t for h, t in zip(hashes, texts)}
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        vectors = embedder.encode([first_text[h] for h in batch])
        save(batch, vectors, embedder.model_id)
        found.update(zip(batch, vectors))
        if progress:
            progress(len(batch))
    if not hashes:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.vstack([found[h] for h in hashes]).astype(np.float32)
