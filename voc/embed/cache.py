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
    if not hashes:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    # One row per distinct text, filled in place: the night holds one matrix of its vectors, not
    # a vector per text plus the stacked copy plus its float32 copy (three times the matrix on a
    # cold night of 200k sentences, about 900 MB at 384 dimensions).
    row_of: dict[str, int] = {}
    rows = np.fromiter((row_of.setdefault(h, len(row_of)) for h in hashes), dtype=np.int64, count=len(hashes))
    unique = list(row_of)
    out = np.empty((len(unique), embedder.dim), dtype=np.float32)
    found = lookup(unique, embedder.model_id)
    missing = []
    for i, h in enumerate(unique):
        vector = found.get(h)
        if vector is None:
            missing.append(i)
        else:
            out[i] = vector
    del found
    first_text = {h: t for h, t in zip(hashes, texts)}
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        batch_hashes = [unique[i] for i in batch]
        vectors = embedder.encode([first_text[h] for h in batch_hashes])
        save(batch_hashes, vectors, embedder.model_id)
        out[batch] = vectors
        if progress:
            progress(len(batch))
    if len(unique) == len(hashes):  # every text once, in order: the matrix is the answer
        return out
    return out[rows]
