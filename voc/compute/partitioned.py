"""The per-unit steps cut into partitions for a :class:`~voc.compute.runners.PartitionRunner`.

Each function here gives the same rows, in the same order, as the step run whole: the steps are
functions of one row at a time (an embedding of one text, a sentiment of one vector, the cues of
one comment), so cutting them changes where they run, not what they return.

Functions that run on a worker are module-level (a worker imports them, nothing heavy is pickled
with them) and take only small settings; the encoder is built on the worker from its settings
and kept there (:func:`worker_embedder`), once per worker, for every later partition and night.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from voc.compute.runners import PartitionRunner
from voc.config import EmbeddingSettings
from voc.embed.base import Embedder

_WORKER_EMBEDDERS: dict[tuple[str, str], Embedder] = {}
_LOAD_LOCK = threading.Lock()


def worker_embedder(settings: EmbeddingSettings) -> Embedder:
    """This worker's encoder for ``settings``, loaded on its first partition and kept.

    Keyed by the settings and the worker: workers that are threads of one process (a
    ``LocalCluster`` with ``processes: false``) each get their own, so no encoder is used by
    two threads at once; outside a worker it is the process's one encoder
    (:func:`voc.embed.get_embedder`).
    """
    from voc.embed import get_embedder

    worker = _worker_address()
    if worker is None:
        return get_embedder(settings)
    key = (settings.model_dump_json(), worker)
    with _LOAD_LOCK:
        if key not in _WORKER_EMBEDDERS:
            from voc.embed.base import _build_embedder

            _WORKER_EMBEDDERS[key] = _build_embedder(settings)
        return _WORKER_EMBEDDERS[key]


def _worker_address() -> str | None:
    try:
        from distributed import get_worker
    except ImportError:
        return None
    try:
        return str(get_worker().address)
    except ValueError:  # not inside a Dask task
        return None


def embed_texts(texts: Sequence[str], *, settings: EmbeddingSettings) -> np.ndarray:
    """Worker task: ``texts`` through this worker's encoder. Shape (len(texts), dim), float32."""
    return np.asarray(worker_embedder(settings).encode(list(texts)), dtype=np.float32)


class PartitionedEmbedder:
    """An :class:`~voc.embed.base.Embedder` whose ``encode`` runs partitions on the runner's workers.

    It reports the local encoder's ``model_id`` and ``dim`` (the embedding cache keys on them) and
    sends only texts: each worker builds the same encoder from ``settings``.

    Parameters
    ----------
    local : Embedder
        The night's encoder in this process (its identity; it encodes nothing here).
    settings : EmbeddingSettings
        What the workers build their encoder from.
    runner : PartitionRunner
    resources : mapping, optional
        Dask worker resources an embedding partition needs (``{"GPU": 1}``).
    """

    def __init__(
        self,
        local: Embedder,
        *,
        settings: EmbeddingSettings,
        runner: PartitionRunner,
        resources: dict[str, float] | None = None,
    ) -> None:
        self.model_id = local.model_id
        self.dim = local.dim
        self.settings = settings
        self.runner = runner
        self.resources = resources or None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        task = functools.partial(embed_texts, settings=self.settings)
        parts = _slices(list(texts), self.runner.partition_size)
        return np.vstack(list(self.runner.imap(task, parts, resources=self.resources))).astype(np.float32)


def score_sentiment_partitioned(
    vectors: np.ndarray, *, model: Any, neutral_band: float, runner: PartitionRunner
) -> pd.DataFrame:
    """:func:`voc.sentiment.score_sentiment` over row blocks of ``vectors`` (n, dim), rows in order.

    Returns the same frame as one call: n rows, index 0..n-1, ``sentiment`` and ``sentiment_label``.
    """
    from voc.sentiment import score_sentiment

    if len(vectors) == 0 or not runner.distributed:
        return score_sentiment(vectors, model=model, neutral_band=neutral_band)
    task = functools.partial(score_sentiment, model=model, neutral_band=neutral_band)
    parts = _slices(vectors, runner.partition_size)
    return pd.concat(list(runner.imap(task, parts)), ignore_index=True)


def _cues_of(part: tuple[list[str], list[str]]) -> pd.DataFrame:
    from voc.sentiment import detect_cues

    texts, languages = part
    return detect_cues(texts, languages)


def detect_cues_partitioned(texts: list[str], languages: list[str], *, runner: PartitionRunner) -> pd.DataFrame:
    """:func:`voc.sentiment.detect_cues` over blocks of records; the same n rows, index 0..n-1."""
    from voc.sentiment import detect_cues

    if not texts or not runner.distributed:
        return detect_cues(texts, languages)
    size = runner.partition_size
    parts = ((texts[i : i + size], languages[i : i + size]) for i in range(0, len(texts), size))
    return pd.concat(list(runner.imap(_cues_of, parts)), ignore_index=True)


def _slices(items: Any, size: int) -> Iterator[Any]:
    """Consecutive blocks of at most ``size`` items (list or array rows), made as they are taken."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
