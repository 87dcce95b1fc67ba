"""A file cache of sentence vectors by (model, text), for training and benchmarks on public sets.

Retraining the default head and running its benchmark embed the same ~15k texts again and again;
on two CPU cores that is a quarter of an hour each time. Vectors are kept per text (sha1) in
append-only ``.npz`` shards, so a change of subsample embeds only the new texts and an
interrupted run keeps what it finished. The cache lives outside the project, in the
``sentiment`` folder of the settings' ``cache_dir`` (:func:`cache_root`).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def cache_root(cache_dir: Path) -> Path:
    """The vector cache inside the settings' ``cache_dir``: one folder beside the other derived files."""
    return Path(cache_dir) / "sentiment"


#: texts embedded between two shard writes
SHARD_SIZE = 256


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _folder(model_id: str, root: Path) -> Path:
    return root / re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)


def _load(folder: Path) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    for shard in sorted(folder.glob("*.npz")):
        try:
            with np.load(shard, allow_pickle=False) as data:
                found.update(zip(data["keys"].tolist(), data["vectors"]))
        except (OSError, ValueError, KeyError):
            continue  # a shard cut short by a crash: its texts are embedded again
    return found


def cached_encode(texts: Sequence[str], embedder=None, *, root: Path, log: bool = False) -> np.ndarray:
    """Vectors of ``texts`` (n, dim) float32, embedding only texts not yet cached for this model.

    Parameters
    ----------
    embedder : voc.embed.Embedder, optional
        Defaults to :func:`voc.embed.get_embedder` (the shipped e5 in query mode). Its
        ``model_id`` keys the cache, so two models' vectors never mix.
    root : Path
        The cache folder, usually ``cache_root(settings.cache_dir)``.
    """
    if embedder is None:
        from voc.embed import get_embedder

        embedder = get_embedder()
    folder = _folder(embedder.model_id, Path(root))
    folder.mkdir(parents=True, exist_ok=True)
    keys = [_key(t) for t in texts]
    found = _load(folder)
    first = {k: t for k, t in zip(keys, texts)}
    missing = [k for k in dict.fromkeys(keys) if k not in found]
    started = time.perf_counter()
    for start in range(0, len(missing), SHARD_SIZE):
        batch = missing[start : start + SHARD_SIZE]
        vectors = np.asarray(embedder.encode([first[k] for k in batch]), dtype=np.float32)
        name = f"{int(time.time() * 1000)}-{os.getpid()}-{start}.npz"
        tmp = folder / (name + ".tmp.npz")
        np.savez(tmp, keys=np.array(batch), vectors=vectors)
        tmp.rename(folder / name)
        found.update(zip(batch, vectors))
        if log:
            done = start + len(batch)
            rate = done / max(time.perf_counter() - started, 1e-9)
            print(f"embedded {done}/{len(missing)} new texts ({rate:.1f}/s)", flush=True)
    if not keys:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.vstack([found[k] for k in keys]).astype(np.float32)
