"""Learn a sentiment head from the user's own ratings (NPS, CSAT, CES, stars) when they suffice.

A business's customers write about its own products in its own words; a head fitted on their
ratings adapts to that. Ratings are only weak labels of a text's tone, so the head is
cross-validated against the default head on the same rows and kept only when it does better.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from voc.config import SentimentSettings
from voc.sentiment.default import load_default_model
from voc.sentiment.model import SentimentModel

#: (highest negative, lowest positive) per scale; answers in between carry no clear tone.
#: CES is read as "easy" high (7 = very easy), the convention of :mod:`voc.metrics.survey`.
WEAK_LABEL_CUTS: dict[str, tuple[float, float]] = {
    "nps": (6, 9),
    "csat": (2, 4),
    "stars": (2, 4),
    "ces": (3, 5),
}
#: smallest share of the rarer class that still lets a head learn both sides
MIN_MINORITY_SHARE = 0.10
#: L2 pull towards the default head; chosen per data set by cross-validation
ALPHAS: tuple[float, ...] = (1e-3, 1e-2, 1e-1)
N_FOLDS = 5


def ratings_to_labels(scores: Sequence[float], score_types: Sequence[str | None]) -> np.ndarray:
    """Weak sentiment labels from ratings: 1 positive, 0 negative, NaN unusable; shape (n,).

    NPS 0-6 negative and 9-10 positive; CSAT and stars 1-2 / 4-5; CES 1-3 / 5-7. Passives,
    mid-scale answers, missing scores and unknown score types give NaN.
    """
    values = pd.to_numeric(pd.Series(list(scores), dtype=object), errors="coerce").to_numpy(dtype=float)
    types = pd.Series(list(score_types), dtype=object).astype("string").str.lower().fillna("").to_numpy(dtype=object)
    out = np.full(len(values), np.nan)
    for kind, (neg_max, pos_min) in WEAK_LABEL_CUTS.items():
        is_kind = types == kind
        out[is_kind & (values <= neg_max)] = 0.0
        out[is_kind & (values >= pos_min)] = 1.0
    return out


def fit_from_ratings(
    embeddings: np.ndarray,
    scores: Sequence[float],
    score_types: Sequence[str | None],
    *,
    settings: SentimentSettings | None = None,
    default: SentimentModel | None = None,
    seed: int = 0,
) -> tuple[SentimentModel, dict[str, Any]]:
    """Fit a head on rated records, or fall back to the default head.

    Parameters
    ----------
    embeddings : ndarray of shape (n, dim)
        Embeddings of the records' texts.
    scores, score_types : sequences of length n
        Raw scores and their scale (``nps``, ``csat``, ``ces``, ``stars``; None when unrated).
    settings : SentimentSettings
        ``learn_from_ratings``, ``min_ratings`` and ``neutral_band`` are read.
    default : SentimentModel, optional
        The fallback and the prior the ratings head is pulled towards; the shipped head
        (:func:`load_default_model`) when None.
    seed : int
        Seed of the cross-validation folds.

    Returns
    -------
    model : SentimentModel
        The ratings head refitted on all usable rows, or the default head.
    info : dict
        ``used`` ('ratings' | 'default'), ``n`` (usable rated rows), ``n_positive``,
        ``n_negative``, ``cv_auc`` (mean out-of-fold AUC of the ratings head, NaN when not fitted),
        ``default_auc`` (AUC of the default head on the same rows), ``alpha`` and ``reason``.
    """
    settings = settings or SentimentSettings()
    default = default or load_default_model(neutral_band=settings.neutral_band)
    X = np.asarray(embeddings, dtype=np.float64)
    y = ratings_to_labels(scores, score_types)
    if len(y) != len(X):
        raise ValueError(f"{len(X)} embeddings but {len(y)} scores")
    usable = ~np.isnan(y) & np.isfinite(X).all(axis=1) & (np.abs(X).sum(axis=1) > 0)
    X, y = X[usable], y[usable]
    info: dict[str, Any] = {
        "used": "default",
        "n": int(len(y)),
        "n_positive": int((y == 1).sum()),
        "n_negative": int((y == 0).sum()),
        "cv_auc": float("nan"),
        "default_auc": _auc(y, default.score(X)) if len(y) else float("nan"),
        "alpha": float("nan"),
    }
    reason = _fallback_reason(y, settings)
    if reason:
        return default, {**info, "reason": reason}
    if settings.fit_sample_size is not None and len(y) > settings.fit_sample_size:
        X, y = _stratified_sample(X, y, size=settings.fit_sample_size, seed=seed)
    alpha, cv_auc = _select_alpha(X, y, default, settings.neutral_band, seed)
    info.update(cv_auc=cv_auc, alpha=alpha)
    if not cv_auc > info["default_auc"]:
        return default, {
            **info,
            "reason": f"ratings head CV AUC {cv_auc:.3f} not above default {info['default_auc']:.3f}",
        }
    model = _ratings_head(default, alpha, settings.neutral_band).fit(X, y)
    model.meta_ = {"kind": "ratings", "n_train": int(len(y)), "cv_auc": cv_auc, "alpha": alpha}
    return model, {**info, "used": "ratings", "reason": f"{len(y)} rated records, CV AUC {cv_auc:.3f}"}


def _stratified_sample(X: np.ndarray, y: np.ndarray, *, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``size`` rows drawn without replacement, positives and negatives in their proportion."""
    rng = np.random.default_rng(seed)
    picked = []
    for label in (0.0, 1.0):
        rows = np.flatnonzero(y == label)
        take = int(round(size * len(rows) / len(y)))
        picked.append(rng.choice(rows, size=min(take, len(rows)), replace=False))
    keep = np.sort(np.concatenate(picked))
    return X[keep], y[keep]


def _fallback_reason(y: np.ndarray, settings: SentimentSettings) -> str:
    """Why the default head must be used, or '' when a ratings head may be fitted."""
    if not settings.learn_from_ratings:
        return "learning from ratings is switched off (sentiment.learn_from_ratings)"
    if len(y) < settings.min_ratings:
        return f"too few rated records with a clear tone: {len(y)} < sentiment.min_ratings={settings.min_ratings}"
    minority = min((y == 1).sum(), (y == 0).sum())
    if minority < max(N_FOLDS * 2, MIN_MINORITY_SHARE * len(y)):
        return f"ratings too one-sided: {int((y == 1).sum())} positive vs {int((y == 0).sum())} negative"
    return ""


def _ratings_head(default: SentimentModel, alpha: float, band: float) -> SentimentModel:
    return SentimentModel(neutral_band=band, alpha=alpha, prior_coef=default.coef_)


def _select_alpha(X: np.ndarray, y: np.ndarray, default: SentimentModel, band: float, seed: int) -> tuple[float, float]:
    """Pick the pull towards the default by stratified K-fold AUC; returns (alpha, mean AUC)."""
    folds = list(StratifiedKFold(N_FOLDS, shuffle=True, random_state=seed).split(X, y))
    best = (ALPHAS[0], -np.inf)
    for alpha in ALPHAS:
        aucs = [
            _auc(y[test], _ratings_head(default, alpha, band).fit(X[train], y[train]).score(X[test]))
            for train, test in folds
        ]
        if np.mean(aucs) > best[1]:
            best = (alpha, float(np.mean(aucs)))
    return best


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, score))
