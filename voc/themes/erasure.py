"""Linear erasure of a concept (the language, the tone) from sentence embeddings before clustering.

Multilingual e5 vectors of feedback carry, besides the topic, *which language* a comment is in and
*how the customer feels*; both pull clusters their way (a theme that is one market's share of
another, a theme "terrible experience" instead of its cause). Each eraser here learns a linear map
from labelled rows (languages, or tone labels) and removes that concept from any row, seen or new:

* :class:`MeanSubspaceEraser` - LSAR (Xie et al., "Discovering Low-rank Subspaces for
  Language-agnostic Multilingual Representations", EMNLP 2022): the SVD of the per-class mean
  vectors gives the directions the classes differ along; they are projected out;
* :class:`DiscriminativeDimensionEraser` - Chang et al. (BUCC 2025): the dimensions whose values
  best tell the classes apart (ANOVA F-test, :func:`sklearn.feature_selection.f_classif`) are set
  to zero, the rest kept as they are;
* :class:`LeaceEraser` - LEACE (Belrose et al., "LEACE: Perfect linear concept erasure in closed
  form", NeurIPS 2023): the least-squares change of the rows after which no linear classifier
  predicts the class better than a constant; whitening, projection onto the span of the whitened
  class-mean differences, un-whitening;
* :class:`DirectionEraser` - given directions (the shipped sentiment head's weight vector: the
  tone axis) projected out orthogonally.

Every eraser is the affine map ``x -> x - ((x - mean_) @ right_.T) @ left_.T - offset_`` with
``left_`` and ``right_`` of shape (d, r) and (r, d); ``offset_`` is zero unless ``centre=True``, when
it is the image of the fitted rows' mean, so the output is centred. Cosine clustering needs that when
nothing else centres the rows: e5 vectors share one large common direction (all pairwise cosines are
high), which a rank-r erasure leaves in place. The same four arrays describe every eraser, so a fitted
eraser saves as plain arrays (:meth:`LinearEraser.get_state`) and a nightly run that reloads the
theme model applies exactly the map the fit used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Names accepted by :func:`make_eraser`.
ERASERS = ("lsar", "fdrop", "leace")


class LinearEraser:
    """Base class: the affine erasure map and its persistence; subclasses only differ in ``fit``.

    Parameters (of every subclass)
    ----------
    centre : bool
        Also subtract the erased mean of the fitted rows (output centred on the fitted rows).

    Attributes
    ----------
    mean_ : ndarray (d,)
        Point the erasure is centred on.
    left_ : ndarray (d, r)
    right_ : ndarray (r, d)
        The removed part of a row ``x`` is ``left_ @ right_ @ (x - mean_)``; ``r`` = rank erased.
    offset_ : ndarray (d,)
        Subtracted after the erasure (zeros unless ``centre``).
    """

    centre: bool = False

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Rows with the concept removed.

        Parameters
        ----------
        x : ndarray (n, d)

        Returns
        -------
        ndarray (n, d), float32
        """
        self._require_fitted()
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.mean_.shape[0]:
            raise ValueError(
                f"{type(self).__name__}.transform: expected rows of width {self.mean_.shape[0]}, got shape {x.shape}"
            )
        return (self._erase(x) - self.offset_).astype(np.float32)

    def _erase(self, x: np.ndarray) -> np.ndarray:
        return x - ((x - self.mean_) @ self.right_.T) @ self.left_.T

    def fit_transform(self, x: np.ndarray, y: Sequence | np.ndarray) -> np.ndarray:
        return self.fit(x, y).transform(x)

    def fit(self, x: np.ndarray, y: Sequence | np.ndarray) -> LinearEraser:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def rank_(self) -> int:
        """Number of directions erased."""
        return int(self.right_.shape[0])

    def _require_fitted(self) -> None:
        if not hasattr(self, "right_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit() first")

    def _set(
        self, mean: np.ndarray, left: np.ndarray, right: np.ndarray, *, fitted_rows: np.ndarray | None = None
    ) -> None:
        """Store the map; with ``centre`` and the fitted rows (n, d), the offset that centres them."""
        self.mean_ = np.asarray(mean, dtype=np.float64)
        self.left_ = np.asarray(left, dtype=np.float64).reshape(len(self.mean_), -1)
        self.right_ = np.asarray(right, dtype=np.float64).reshape(-1, len(self.mean_))
        self.offset_ = np.zeros_like(self.mean_)
        if self.centre and fitted_rows is not None and len(fitted_rows):
            self.offset_ = self._erase(fitted_rows.mean(axis=0, keepdims=True))[0]

    def get_state(self, prefix: str = "eraser") -> dict[str, np.ndarray]:
        """``{prefix}_mean``, ``{prefix}_left``, ``{prefix}_right``: arrays only (npz/JSON safe)."""
        self._require_fitted()
        return {
            f"{prefix}_mean": self.mean_.astype(np.float32),
            f"{prefix}_left": self.left_.astype(np.float32),
            f"{prefix}_right": self.right_.astype(np.float32),
            f"{prefix}_offset": self.offset_.astype(np.float32),
        }

    @classmethod
    def from_state(cls, state, prefix: str = "eraser") -> LinearEraser:
        """Rebuild a fitted eraser from :meth:`get_state` output (a dict or a loaded ``.npz``)."""
        eraser = LinearEraser.__new__(LinearEraser)
        mean = np.asarray(state[f"{prefix}_mean"], dtype=np.float64).reshape(-1)
        eraser._set(mean, np.asarray(state[f"{prefix}_left"]), np.asarray(state[f"{prefix}_right"]))
        eraser.offset_ = np.asarray(state[f"{prefix}_offset"], dtype=np.float64).reshape(-1)
        return eraser


def _check_xy(x: np.ndarray, y: Sequence | np.ndarray, who: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float rows, class index per row (0..k-1) and the class names; errors name the shapes."""
    x = np.asarray(x, dtype=np.float64)
    labels = np.asarray([str(v) for v in y])
    if x.ndim != 2:
        raise ValueError(f"{who}.fit: x must be 2-d (n, d), got shape {x.shape}")
    if len(labels) != len(x):
        raise ValueError(f"{who}.fit: {len(x)} rows but {len(labels)} labels")
    names, index = np.unique(labels, return_inverse=True)
    return x, index, names


def _class_means(x: np.ndarray, index: np.ndarray, n_classes: int) -> np.ndarray:
    return np.vstack([x[index == c].mean(axis=0) for c in range(n_classes)])


class MeanSubspaceEraser(LinearEraser):
    """LSAR: project out the top singular directions of the centred per-class mean vectors.

    Parameters
    ----------
    n_directions : int, optional
        Directions removed; default all the class means span (number of classes - 1).

    Attributes
    ----------
    singular_values_ : ndarray (k,)
        Of the centred class means, largest first: how strongly each direction separates classes.
    """

    def __init__(self, *, n_directions: int | None = None, centre: bool = False):
        self.n_directions = n_directions
        self.centre = centre

    def fit(self, x: np.ndarray, y: Sequence | np.ndarray) -> MeanSubspaceEraser:
        """Learn the directions from rows ``x`` (n, d) and their classes ``y`` (n,)."""
        x, index, names = _check_xy(x, y, type(self).__name__)
        means = _class_means(x, index, len(names))
        # Centring on the mean of class means gives every class the same say, whatever its size.
        centre = means.mean(axis=0)
        _, singular, vt = np.linalg.svd(means - centre, full_matrices=False)
        rank = int(np.sum(singular > 1e-9 * max(singular.max(initial=0.0), 1e-30)))
        keep = rank if self.n_directions is None else min(int(self.n_directions), rank)
        self.singular_values_ = singular
        basis = vt[:keep]
        self._set(np.zeros(x.shape[1]), basis.T, basis, fitted_rows=x)
        return self


class DiscriminativeDimensionEraser(LinearEraser):
    """Chang et al. (BUCC 2025): zero the dimensions whose F statistic across classes is highest.

    Parameters
    ----------
    drop_share : float
        Share of the dimensions dropped (at least one), those with the largest ANOVA F.

    Attributes
    ----------
    f_scores_ : ndarray (d,)
    dropped_ : ndarray (m,) int, indices of the zeroed dimensions
    """

    def __init__(self, *, drop_share: float = 0.1, centre: bool = False):
        self.drop_share = drop_share
        self.centre = centre

    def fit(self, x: np.ndarray, y: Sequence | np.ndarray) -> DiscriminativeDimensionEraser:
        """Rank dimensions of ``x`` (n, d) by how well they tell the classes ``y`` (n,) apart."""
        from sklearn.feature_selection import f_classif

        if not 0.0 < self.drop_share < 1.0:
            raise ValueError(f"DiscriminativeDimensionEraser: drop_share must be in (0, 1), got {self.drop_share}")
        x, index, names = _check_xy(x, y, type(self).__name__)
        d = x.shape[1]
        if len(names) < 2:
            self.f_scores_ = np.zeros(d)
            self.dropped_ = np.zeros(0, dtype=np.int64)
        else:
            scores, _ = f_classif(x, index)
            self.f_scores_ = np.nan_to_num(scores, nan=0.0)
            n_drop = max(1, int(round(self.drop_share * d)))
            self.dropped_ = np.sort(np.argsort(-self.f_scores_, kind="stable")[:n_drop])
        basis = np.eye(d)[self.dropped_]
        self._set(np.zeros(d), basis.T, basis, fitted_rows=x)
        return self


class LeaceEraser(LinearEraser):
    """LEACE: least-squares linear concept erasure in closed form (Belrose et al., NeurIPS 2023).

    With ``W = Σ^{-1/2}`` (whitening by the rows' covariance) and ``P`` the orthogonal projection
    onto the column space of ``W Σ_xz`` (the whitened cross-covariance of the rows with the one-hot
    class), the eraser is ``x -> x - W⁺ P W (x - μ)``. Afterwards every class has the same mean,
    so no linear classifier beats a constant on the fitted rows, and among all maps that achieve
    this it moves the rows least (in the Mahalanobis sense).

    Parameters
    ----------
    shrinkage : float
        Ridge added to the covariance, as a share of its mean eigenvalue: a few hundred rows
        estimate a 384 x 384 covariance with tiny, noisy eigenvalues that whitening would blow up.

    Attributes
    ----------
    rank_ : int
        Erased directions (at most number of classes - 1).
    """

    def __init__(self, *, shrinkage: float = 1e-3, centre: bool = False):
        self.shrinkage = shrinkage
        self.centre = centre

    def fit(self, x: np.ndarray, y: Sequence | np.ndarray) -> LeaceEraser:
        """Learn the map from rows ``x`` (n, d) and their classes ``y`` (n,)."""
        x, index, names = _check_xy(x, y, type(self).__name__)
        n, d = x.shape
        mean = x.mean(axis=0)
        centred = x - mean
        one_hot = np.eye(len(names))[index]
        cross = centred.T @ (one_hot - one_hot.mean(axis=0)) / n  # Σ_xz, (d, k)
        cov = centred.T @ centred / n
        values, vectors = np.linalg.eigh(cov)
        values = np.clip(values, 0.0, None) + self.shrinkage * max(float(values.mean()), 0.0)
        # Pseudo-inverse square root (as in the paper): directions with no variance stay untouched.
        present = values > 1e-10 * max(float(values.max()), 1e-30)
        inv_sqrt = np.where(present, 1.0 / np.sqrt(np.where(present, values, 1.0)), 0.0)
        whiten = (vectors * inv_sqrt) @ vectors.T  # W = (Σ^{1/2})⁺
        unwhiten = (vectors * np.sqrt(values)) @ vectors.T  # W⁺ = Σ^{1/2}
        u, singular, _ = np.linalg.svd(whiten @ cross, full_matrices=False)
        rank = int(np.sum(singular > 1e-8 * max(singular.max(initial=0.0), 1e-30)))
        basis = u[:, :rank]  # orthonormal basis of colspace(W Σ_xz), (d, r)
        self._set(mean, unwhiten @ basis, basis.T @ whiten, fitted_rows=x)
        return self


class DirectionEraser(LinearEraser):
    """Project given directions out of the rows (orthogonal, through the origin).

    Parameters
    ----------
    directions : ndarray (r, d) or (d,)
        E.g. a linear sentiment head's weight vector: the axis along which its score moves.

    ``fit`` needs no data (``x`` only checks the width; ``y`` is ignored): the directions are given.
    """

    def __init__(self, directions: np.ndarray, *, centre: bool = False):
        self.directions = directions
        self.centre = centre

    def fit(self, x: np.ndarray | None = None, y: Sequence | np.ndarray | None = None) -> DirectionEraser:
        raw = np.atleast_2d(np.asarray(self.directions, dtype=np.float64))
        if x is not None and np.shape(x)[-1] != raw.shape[1]:
            raise ValueError(
                f"DirectionEraser: directions have width {raw.shape[1]}, the rows {np.shape(x)[-1]} "
                "(were they computed with another encoder?)"
            )
        # Orthonormal basis of the given directions (any number, possibly dependent).
        u, singular, vt = np.linalg.svd(raw, full_matrices=False)
        basis = vt[singular > 1e-9 * max(singular.max(initial=0.0), 1e-30)]
        rows = None if x is None else np.asarray(x, dtype=np.float64)
        self._set(np.zeros(raw.shape[1]), basis.T, basis, fitted_rows=rows)
        return self


def make_eraser(name: str, **options) -> LinearEraser:
    """An unfitted eraser by name (one of :data:`ERASERS`); ``options`` go to its constructor."""
    if name == "lsar":
        return MeanSubspaceEraser(**options)
    if name == "fdrop":
        return DiscriminativeDimensionEraser(**options)
    if name == "leace":
        return LeaceEraser(**options)
    raise ValueError(f"unknown eraser {name!r}; known: {', '.join(ERASERS)}")
