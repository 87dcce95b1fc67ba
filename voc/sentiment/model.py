"""A linear sentiment head on sentence embeddings, with a calibrated score and a three-way label.

The head is a logistic regression ``p(positive | x) = sigmoid(w . x + b)`` on unit-length e5
vectors. The score is ``2 p - 1`` in [-1, 1], so 0 means "as likely positive as negative" and the
neutral band around 0 is a band of probability, the same meaning for every head (default, learned
from ratings, or the anchor baseline). Weights live in a small ``.npz`` file (no pickle), so a
shipped head can be read without executing code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")


def binary_targets(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Turn labels into 0/1 targets and a mask of the rows that are polar.

    Accepted: strings ``negative``/``neutral``/``positive``; booleans (True = positive); numbers
    where only {0, 1} occur (1 = positive); other numbers by sign (0 = neutral).

    Returns
    -------
    y : ndarray of shape (n,), float64 with 1.0 positive, 0.0 negative (undefined where not polar)
    polar : ndarray of shape (n,), bool, False for neutral rows, which a binary head ignores
    """
    labels = np.asarray(labels)
    if labels.dtype.kind in "OUS":
        text = np.char.lower(labels.astype(str))
        unknown = set(np.unique(text)) - set(LABELS)
        if unknown:
            raise ValueError(f"unknown sentiment labels {sorted(unknown)}; expected {LABELS}")
        return (text == "positive").astype(float), text != "neutral"
    values = labels.astype(float)
    if np.isnan(values).any():
        raise ValueError("labels contain NaN")
    if set(np.unique(values)) <= {0.0, 1.0}:
        return values, np.ones(len(values), dtype=bool)
    return (values > 0).astype(float), values != 0


def _logistic_loss(
    params: np.ndarray, X: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float, prior: np.ndarray
) -> tuple[float, np.ndarray]:
    """Weighted mean log-loss plus ``alpha/2 ||coef - prior||^2``; returns (loss, gradient)."""
    coef, bias = params[:-1], params[-1]
    z = X @ coef + bias
    # log(1 + exp(-s z)) written stably for both signs of z
    loss_i = np.logaddexp(0.0, z) - y * z
    p = 1.0 / (1.0 + np.exp(-z))
    resid = w * (p - y)
    diff = coef - prior
    loss = float(np.sum(w * loss_i) + 0.5 * alpha * diff @ diff)
    grad = np.empty_like(params)
    grad[:-1] = X.T @ resid + alpha * diff
    grad[-1] = resid.sum()
    return loss, grad


class SentimentModel:
    """Logistic head on embeddings giving a score in [-1, 1] and a negative/neutral/positive label.

    Parameters
    ----------
    neutral_band : float
        Scores with ``|score| <= neutral_band`` are labelled neutral.
    alpha : float
        Strength of the L2 pull of the weights towards ``prior_coef`` (towards 0 when there is no
        prior). Larger is smoother; it is relative to the total sample weight, which is normalised
        to 1, so the same value suits 200 or 20,000 training rows.
    prior_coef : ndarray of shape (dim,), optional
        Weights to shrink towards instead of zero. Fitting on a few hundred of a user's ratings
        with the default head as prior keeps what the default knows where the ratings say little.
    balance : bool
        Reweight so that positive and negative rows carry equal total weight (per ``groups`` when
        given), since feedback is usually mostly negative and the head must not learn the base rate.
    max_iter : int
        L-BFGS iterations.

    Attributes
    ----------
    coef_ : ndarray of shape (dim,)
    intercept_ : float
    n_train_ : int
        Polar rows used by :meth:`fit`.
    meta_ : dict
        Free-form description (training data, metrics) saved with the weights.
    """

    def __init__(
        self,
        *,
        neutral_band: float = 0.15,
        alpha: float = 1e-3,
        prior_coef: np.ndarray | None = None,
        balance: bool = True,
        max_iter: int = 500,
    ):
        self.neutral_band = neutral_band
        self.alpha = alpha
        self.prior_coef = prior_coef
        self.balance = balance
        self.max_iter = max_iter

    # -- fitting ---------------------------------------------------------------------------
    def fit(
        self,
        embeddings: np.ndarray,
        labels: np.ndarray,
        *,
        sample_weight: np.ndarray | None = None,
        groups: np.ndarray | None = None,
    ) -> SentimentModel:
        """Fit on polar rows (neutral rows are ignored).

        Parameters
        ----------
        embeddings : ndarray of shape (n, dim)
        labels : ndarray of shape (n,)
            See :func:`binary_targets` for accepted forms.
        sample_weight : ndarray of shape (n,), optional
        groups : ndarray of shape (n,), optional
            With ``balance``, each group (e.g. a language or a data source) gets equal total
            weight and, inside it, positives and negatives get equal weight, so no group can
            teach the head that its language or style is itself positive or negative.
        """
        X = np.asarray(embeddings, dtype=np.float64)
        if X.ndim != 2 or len(X) != len(labels):
            raise ValueError(f"embeddings must be (n, dim) matching {len(labels)} labels, got {X.shape}")
        y, polar = binary_targets(labels)
        weight = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        group = np.zeros(len(X)) if groups is None else np.asarray(groups)
        X, y, weight, group = X[polar], y[polar], weight[polar], group[polar]
        if len(np.unique(y)) < 2:
            raise ValueError("need both positive and negative examples to fit a sentiment head")
        if self.balance:
            weight = weight * _balance_weights(y, group)
        weight = weight / weight.sum()
        prior = np.zeros(X.shape[1]) if self.prior_coef is None else np.asarray(self.prior_coef, float)
        if prior.shape != (X.shape[1],):
            raise ValueError(f"prior_coef has shape {prior.shape}, embeddings have dim {X.shape[1]}")
        start = np.append(prior, 0.0)
        result = minimize(
            _logistic_loss,
            start,
            args=(X, y, weight, self.alpha, prior),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.max_iter},
        )
        self.coef_ = result.x[:-1].astype(np.float64)
        self.intercept_ = float(result.x[-1])
        self.n_train_ = int(len(y))
        self.meta_ = getattr(self, "meta_", {}) or {}
        return self

    # -- prediction ------------------------------------------------------------------------
    def decision_function(self, embeddings: np.ndarray) -> np.ndarray:
        """Log-odds of positive, shape (n,)."""
        self._check_fitted()
        X = np.asarray(embeddings, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.coef_):
            raise ValueError(f"embeddings must be (n, {len(self.coef_)}), got {X.shape}")
        return X @ self.coef_ + self.intercept_

    def predict_proba(self, embeddings: np.ndarray) -> np.ndarray:
        """Probabilities of (negative, positive), shape (n, 2)."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(embeddings)))
        return np.column_stack([1.0 - p, p])

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        """Sentiment in [-1, 1], shape (n,): ``2 p(positive) - 1``."""
        return np.tanh(self.decision_function(embeddings) / 2.0)

    def label(self, scores: np.ndarray, *, neutral_band: float | None = None) -> np.ndarray:
        """Labels for scores, shape (n,) of str; NaN scores get ``None``."""
        band = self.neutral_band if neutral_band is None else neutral_band
        return label_scores(scores, neutral_band=band)

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write weights and metadata to an ``.npz`` file (no pickled objects)."""
        self._check_fitted()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            coef=self.coef_.astype(np.float32),
            intercept=np.array([self.intercept_], dtype=np.float64),
            neutral_band=np.array([self.neutral_band]),
            meta=np.array(json.dumps(getattr(self, "meta_", {}), ensure_ascii=False)),
        )
        return path

    @classmethod
    def load(cls, path: str | Path) -> SentimentModel:
        """Read a head written by :meth:`save`."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"sentiment head not found: {path}")
        with np.load(path, allow_pickle=False) as data:
            missing = {"coef", "intercept"} - set(data.files)
            if missing:
                raise ValueError(f"{path}: not a sentiment head, missing arrays {sorted(missing)}")
            model = cls(neutral_band=float(data["neutral_band"][0]) if "neutral_band" in data.files else 0.15)
            model.coef_ = data["coef"].astype(np.float64)
            model.intercept_ = float(data["intercept"][0])
            model.meta_ = json.loads(str(data["meta"])) if "meta" in data.files else {}
        model.n_train_ = int(model.meta_.get("n_train", 0))
        return model

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError("SentimentModel is not fitted: call fit() or load() first")

    def __repr__(self) -> str:
        state = f"dim={len(self.coef_)}" if hasattr(self, "coef_") else "unfitted"
        return f"SentimentModel(neutral_band={self.neutral_band}, alpha={self.alpha}, {state})"


def label_scores(scores: np.ndarray, *, neutral_band: float = 0.15) -> np.ndarray:
    """Map scores in [-1, 1] to negative/neutral/positive, shape (n,) of object (None for NaN)."""
    scores = np.asarray(scores, dtype=float)
    out = np.full(scores.shape, None, dtype=object)
    out[scores > neutral_band] = "positive"
    out[scores < -neutral_band] = "negative"
    out[np.abs(scores) <= neutral_band] = "neutral"
    return out


def _balance_weights(y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Weights giving each (group, class) cell the same total, shape (n,).

    A group with one class only keeps its rows at the weight of a half-cell, so it still counts
    without dominating.
    """
    weight = np.zeros(len(y))
    for g in np.unique(groups):
        for cls in (0.0, 1.0):
            mask = (groups == g) & (y == cls)
            if mask.any():
                weight[mask] = 1.0 / (mask.sum() * 2.0)
    return weight
