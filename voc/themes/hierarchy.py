"""Second level of the theme hierarchy: parent groups of themes, from their centroids."""

from __future__ import annotations

import numpy as np


def default_n_parents(n_themes: int) -> int:
    """About sqrt(k) parents: few enough to scan, each holding a handful of themes."""
    if n_themes <= 3:
        return 1 if n_themes else 0
    return int(round(np.sqrt(n_themes)))


def fit_parents(centroids: np.ndarray, *, n_parents: int | None = None) -> np.ndarray:
    """Group theme centroids into parent themes (average-linkage on cosine distance).

    Parameters
    ----------
    centroids : (k, d) unit rows
    n_parents : int, optional
        Defaults to :func:`default_n_parents`.

    Returns
    -------
    (k,) int64 parent group per theme, groups numbered 0..g-1 by first appearance, so parent 0
    holds theme 0 (the largest theme when themes are numbered by size).
    """
    k = len(centroids)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    g = default_n_parents(k) if n_parents is None else int(min(max(n_parents, 1), k))
    if g <= 1 or k < 2:
        return np.zeros(k, dtype=np.int64)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    tree = linkage(pdist(np.asarray(centroids, dtype=np.float64), metric="cosine"), method="average")
    raw = fcluster(tree, t=g, criterion="maxclust")
    order: dict[int, int] = {}
    return np.array([order.setdefault(int(p), len(order)) for p in raw], dtype=np.int64)
