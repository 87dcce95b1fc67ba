"""Does adapting the encoder to a night's own texts, without labels, improve the themes?

Data: SIB-200 (Flores sentences, 7 topics) in pol_Latn, fin_Latn, ukr_Cyrl, deu_Latn, eng_Latn.
Flores is parallel, so a night's texts are drawn *non-parallel*: every ``index_id`` of the adapt
split (train + dev) goes to one language only, round-robin over a seeded shuffle; a night never
holds the same sentence in two languages. The held-out set is the test split's sentences (never
seen in any language during adaptation) in all five languages.

Adaptation (no labels): LoRA (rank ``--rank``) on the query/value projections of the bundled
e5-small run by torch (``e5-torch``). Training pairs are the *mutual nearest neighbours across
languages* in the frozen space after per-language centring (a text's nearest text in another
language that also has it as nearest); loss = symmetric InfoNCE over the batch's pairs (in-batch
negatives, temperature ``--temperature``) + ``--lang-weight`` x a LANCER-style term that pulls each
language's batch mean of the unit vectors to the batch's overall mean (language identity removed
from the space). Texts are cut at ``--max-tokens`` tokens for training.

Evaluation goes through the product's theme path (``bench.themes_quality``'s ``voc`` variant:
``ThemeModel`` with its defaults, language alignment included) and its k-means-true-k reference,
scored with the same ``score`` function: ARI/NMI against the topic and ARI against the language,
on the adapted texts themselves (transductive, as a night would do it) and on the held-out set.
The frozen rows embed with the same e5-torch module before the adapters are added.

    python -m bench.adapt_themes [--per-split 800] [--epochs 2] [--rank 8] [--threads 2]

Measured (defaults, seeds 0 and 1, 2 shared CPU cores): ~710 pairs among 800 texts, 71-72 % of
them the same topic; voc themes on the night ARI 0.324 -> 0.256 and 0.251 -> 0.271, on held-out
0.118 -> 0.138 and 0.112 -> 0.138; k-means true k on the night 0.344 -> 0.350 and 0.316 -> 0.352;
ARI vs language ~0 before and after; 290-433 training CPU s. Not of one sign on the night's own
texts, so the product ships no adaptation step (README, Models).
"""

from __future__ import annotations

import argparse
import csv
import time
import warnings

import numpy as np
import pandas as pd

from bench.common import shared_data
from bench.themes_quality import _voc, reference_kmeans_true_k, score

LANGUAGES = {"pol_Latn": "pl", "fin_Latn": "fi", "ukr_Cyrl": "uk", "deu_Latn": "de", "eng_Latn": "en"}


# --- data -------------------------------------------------------------------------------------
def _split(split: str) -> pd.DataFrame | None:
    """One split of all five languages, long: index_id, language, truth (topic), text."""
    frames = []
    for folder, lang in LANGUAGES.items():
        path = shared_data("sib200", folder, f"{split}.tsv")
        if path is None:
            return None
        df = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, dtype={"index_id": int, "category": str, "text": str})
        frames.append(df.rename(columns={"category": "truth"}).assign(language=lang))
    return pd.concat(frames, ignore_index=True)[["index_id", "language", "truth", "text"]]


def load_night(n: int, seed: int) -> pd.DataFrame | None:
    """Non-parallel 'night': train + dev sentences, each index_id in exactly one language."""
    parts = [_split("train"), _split("dev")]
    if any(p is None for p in parts):
        return None
    both = pd.concat(parts, ignore_index=True)
    ids = np.random.default_rng(seed).permutation(both["index_id"].unique())[:n]
    langs = list(LANGUAGES.values())
    owner = pd.DataFrame({"index_id": ids, "language": [langs[i % len(langs)] for i in range(len(ids))]})
    return both.merge(owner, on=["index_id", "language"]).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def load_heldout() -> pd.DataFrame | None:
    """The test split's sentences in all five languages (none seen during adaptation)."""
    return _split("test")


# --- training pairs -----------------------------------------------------------------------------
def centred_by_language(x: np.ndarray, languages: np.ndarray) -> np.ndarray:
    """Unit vectors after subtracting each language's mean (the first-order language signal)."""
    z = x.astype(np.float64).copy()
    for lang in np.unique(languages):
        z[languages == lang] -= z[languages == lang].mean(axis=0)
    return z / np.linalg.norm(z, axis=1, keepdims=True)


def cross_language_mutual_neighbours(x: np.ndarray, languages: np.ndarray) -> np.ndarray:
    """(i, j) pairs, i < j, of different languages that are each other's nearest in the other's language."""
    z = centred_by_language(x, languages)
    sims = z @ z.T
    pairs = set()
    langs = np.unique(languages)
    for a in langs:
        for b in langs:
            if a >= b:
                continue
            ia, ib = np.flatnonzero(languages == a), np.flatnonzero(languages == b)
            block = sims[np.ix_(ia, ib)]
            a_to_b, b_to_a = block.argmax(axis=1), block.argmax(axis=0)
            for r, c in enumerate(a_to_b):
                if b_to_a[c] == r:
                    pairs.add((min(ia[r], ib[c]), max(ia[r], ib[c])))
    return np.asarray(sorted(pairs), dtype=np.int64).reshape(-1, 2)


# --- adaptation ---------------------------------------------------------------------------------
def adapt(
    embedder,
    texts: list[str],
    languages: np.ndarray,
    pairs: np.ndarray,
    *,
    rank: int,
    epochs: int,
    batch_pairs: int,
    lr: float,
    temperature: float,
    lang_weight: float,
    max_tokens: int,
    seed: int,
) -> dict:
    """Inject LoRA adapters into ``embedder.model`` (in place) and train them on the pairs; returns loss figures."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    model = get_peft_model(
        embedder.model, LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.1, target_modules=["q", "v"])
    )
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    rng = np.random.default_rng(seed)
    lang_codes = torch.from_numpy(pd.factorize(languages)[0])
    history = []
    model.train()
    for _ in range(epochs):
        shuffled = pairs[rng.permutation(len(pairs))]
        for start in range(0, len(shuffled), batch_pairs):
            sel = shuffled[start : start + batch_pairs]
            if len(sel) < 2:
                continue
            idx = np.concatenate([sel[:, 0], sel[:, 1]])
            z = torch.nn.functional.normalize(
                model(*embedder.training_batch([texts[i] for i in idx], max_tokens)), dim=-1
            )
            left, right = z[: len(sel)], z[len(sel) :]
            logits = left @ right.T / temperature
            target = torch.arange(len(sel))
            contrastive = (
                torch.nn.functional.cross_entropy(logits, target) + torch.nn.functional.cross_entropy(logits.T, target)
            ) / 2
            codes, overall = lang_codes[idx], z.mean(dim=0)
            lang_term = sum(((z[codes == c].mean(dim=0) - overall) ** 2).sum() for c in codes.unique()) / len(
                codes.unique()
            )
            loss = contrastive + lang_weight * lang_term
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            history.append((contrastive.item(), float(lang_term.item())))
    model.eval()
    first, last = (
        np.mean(history[: max(1, len(history) // 5)], axis=0),
        np.mean(history[-max(1, len(history) // 5) :], axis=0),
    )
    return {
        "steps": len(history),
        "nce_first": first[0],
        "nce_last": last[0],
        "lang_first": first[1],
        "lang_last": last[1],
    }


# --- evaluation -----------------------------------------------------------------------------------
METHODS = {"voc themes": _voc(), "k-means true k (reference)": reference_kmeans_true_k}


def evaluate(encoder: str, sets: dict[str, tuple[pd.DataFrame, np.ndarray]], seed: int, extra: dict) -> list[dict]:
    rows = []
    for set_name, (data, x) in sets.items():
        for method, fit in METHODS.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                labels, parents = fit(x, data.reset_index(drop=True), seed)
            s = score(data.reset_index(drop=True), labels, parents)
            rows.append(
                {
                    "encoder": encoder,
                    "texts": set_name,
                    "n": len(data),
                    "method": method,
                    "ARI": s["ARI"],
                    "ARI_lang": s["ARI_lang"],
                    "NMI": s["NMI"],
                    "themes": s["themes"],
                    "unassigned": s["unassigned"],
                    **extra,
                }
            )
            print(
                pd.DataFrame([rows[-1]]).to_string(index=False, header=len(rows) == 1, float_format="%.3f"), flush=True
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-split", type=int, default=800, help="texts in the night (at most ~800: train+dev ids)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--batch-pairs", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--temperature", type=float, default=0.05)
    parser.add_argument("--lang-weight", type=float, default=10.0)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    night, heldout = load_night(args.per_split, args.seed), load_heldout()
    if night is None or heldout is None:
        print("[skip] sib200 not found under ../shared/data")
        return
    from voc.embed.e5_torch_backend import E5TorchEmbedder

    embedder = E5TorchEmbedder(device="cpu", threads=args.threads)
    night_texts, night_langs = night["text"].tolist(), night["language"].to_numpy()
    frozen = {
        "night (adapted on)": (night, embedder.encode(night_texts)),
        "held-out test": (heldout, embedder.encode(heldout["text"].tolist())),
    }

    pairs = cross_language_mutual_neighbours(frozen["night (adapted on)"][1], night_langs)
    truth = night["truth"].to_numpy()
    pair_precision = float(np.mean(truth[pairs[:, 0]] == truth[pairs[:, 1]])) if len(pairs) else float("nan")
    print(
        f"[pairs] {len(pairs)} cross-language mutual neighbours among {len(night)} texts; "
        f"same topic (diagnostic, labels not used): {pair_precision:.2f}",
        flush=True,
    )

    start = time.process_time()
    stats = adapt(
        embedder,
        night_texts,
        night_langs,
        pairs,
        rank=args.rank,
        epochs=args.epochs,
        batch_pairs=args.batch_pairs,
        lr=args.lr,
        temperature=args.temperature,
        lang_weight=args.lang_weight,
        max_tokens=args.max_tokens,
        seed=args.seed,
    )
    train_cpu_s = time.process_time() - start
    print(
        f"[adapt] {stats['steps']} steps, {train_cpu_s:.0f} CPU s; InfoNCE {stats['nce_first']:.3f} -> {stats['nce_last']:.3f}, "
        f"language term {stats['lang_first']:.4f} -> {stats['lang_last']:.4f}",
        flush=True,
    )
    adapted = {name: (data, embedder.encode(data["text"].tolist())) for name, (data, _) in frozen.items()}

    rows = evaluate("frozen", frozen, args.seed, {"train_cpu_s": 0.0})
    rows += evaluate("adapted", adapted, args.seed, {"train_cpu_s": train_cpu_s})
    table = pd.DataFrame(rows)
    print()
    print(
        f"pairs {len(pairs)} (same topic {pair_precision:.2f}), rank {args.rank}, epochs {args.epochs}, "
        f"max tokens {args.max_tokens}, language weight {args.lang_weight}, seed {args.seed}"
    )
    print(
        table.sort_values(["texts", "method", "encoder"], ascending=[False, False, False]).to_string(
            index=False, float_format="%.3f"
        )
    )


if __name__ == "__main__":
    main()
