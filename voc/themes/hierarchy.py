"""Second level of the theme hierarchy: parent groups of themes, from their centroids.

The parent level is the *analyst level*: what the priority list, the report and the exports rank
by default, with the model's themes (the leaves) below each parent as its sub-themes. How many
parents there are is chosen from the data (:func:`choose_n_parents`): the number of groups, within
a target range from the settings, whose grouping of the themes survives resampling the units.
"""

from __future__ import annotations

import numpy as np

#: bootstrap resamples of the units used to judge how stable a grouping is
N_BOOTSTRAP = 20
#: a smaller number of groups wins when its stability is within this of the best one's
STABILITY_TOLERANCE = 0.02


def default_n_parents(n_themes: int) -> int:
    """About sqrt(k) parents: few enough to scan, each holding a handful of themes."""
    if n_themes <= 3:
        return 1 if n_themes else 0
    return int(round(np.sqrt(n_themes)))


def _tree(centroids: np.ndarray) -> np.ndarray:
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import pdist

    return linkage(pdist(np.asarray(centroids, dtype=np.float64), metric="cosine"), method="average")


def _cut(tree: np.ndarray, n_groups: int) -> np.ndarray:
    from scipy.cluster.hierarchy import fcluster

    return fcluster(tree, t=n_groups, criterion="maxclust")


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
    raw = _cut(_tree(centroids), g)
    order: dict[int, int] = {}
    return np.array([order.setdefault(int(p), len(order)) for p in raw], dtype=np.int64)


def grouping_stability(
    vectors: np.ndarray,
    labels: np.ndarray,
    candidates: list[int],
    *,
    n_boot: int = N_BOOTSTRAP,
    seed: int = 42,
) -> dict[int, float]:
    """How well each number of groups of the themes survives resampling the units.

    Each bootstrap draws every theme's units with replacement, recomputes the theme centroids and
    the tree over them, and cuts it into g groups; stability is the adjusted Rand index between
    that grouping and the grouping of the full data, with each theme weighted by its size (a
    grouping that moves a large theme matters more than one that moves a small one).

    Parameters
    ----------
    vectors : (n, d) unit rows in the space the themes were found in
    labels : (n,) int theme of each unit 0..k-1, -1 none
    candidates : numbers of groups to judge, each in 2..k

    Returns
    -------
    dict of g to mean adjusted Rand index over the bootstraps (1 = always the same grouping)
    """
    from sklearn.metrics import adjusted_rand_score

    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    members = [np.flatnonzero(labels == t) for t in range(k)]
    sizes = np.array([len(m) for m in members])
    if k < 3 or np.any(sizes == 0):
        return {}

    def centroids(rows: list[np.ndarray]) -> np.ndarray:
        c = np.vstack([vectors[r].mean(axis=0) for r in rows])
        return c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)

    full = _tree(centroids(members))
    rng = np.random.default_rng(seed)
    trees = [_tree(centroids([rng.choice(m, size=len(m)) for m in members])) for _ in range(n_boot)]
    out: dict[int, float] = {}
    for g in candidates:
        reference = np.repeat(_cut(full, g), sizes)
        out[g] = float(np.mean([adjusted_rand_score(reference, np.repeat(_cut(t, g), sizes)) for t in trees]))
    return out


def choose_n_parents(
    vectors: np.ndarray,
    labels: np.ndarray,
    *,
    min_groups: int,
    max_groups: int,
    n_boot: int = N_BOOTSTRAP,
    tolerance: float = STABILITY_TOLERANCE,
    seed: int = 42,
) -> int:
    """The number of analyst-level themes: a stable and well separated grouping within the range.

    Among ``min_groups..max_groups`` (clipped to the number of themes), the groupings whose
    stability (:func:`grouping_stability`) is within ``tolerance`` of the best are kept; of those,
    the one cut where the tree's merge distances jump most wins (the groups it keeps apart are
    much further apart than the themes it joins), the smaller number on a tie. Stability alone
    cannot choose: joining two clean groups is as stable as keeping them apart.
    With no more themes than ``max_groups`` every theme is its own analyst-level theme.

    Returns
    -------
    int, the number of parent groups (the number of themes when no grouping is needed)
    """
    k = int(np.asarray(labels).max()) + 1 if len(labels) and np.asarray(labels).max() >= 0 else 0
    if k <= max_groups:
        return k
    low = max(2, min(min_groups, k))
    candidates = list(range(low, min(max_groups, k) + 1))
    stability = grouping_stability(vectors, labels, candidates, n_boot=n_boot, seed=seed)
    if not stability:
        return min(max_groups, k)
    best = max(stability.values())
    stable = [g for g, s in stability.items() if s >= best - tolerance]
    gaps = separation_gaps(vectors, labels, stable)
    return max(stable, key=lambda g: (gaps[g], -g))


def separation_gaps(vectors: np.ndarray, labels: np.ndarray, candidates: list[int]) -> dict[int, float]:
    """For each number of groups g, how much further the next join is than the last one made.

    Cutting the tree of theme centroids into g groups makes its first k - g joins and leaves the
    rest; the gap is the cosine distance of the first join left out minus that of the last join made.
    """
    labels = np.asarray(labels)
    k = int(labels.max()) + 1
    c = np.vstack([vectors[labels == t].mean(axis=0) for t in range(k)])
    c = c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)
    heights = np.sort(_tree(c)[:, 2])
    return {g: float(heights[k - g] - heights[k - g - 1]) for g in candidates if 1 <= g < k}


def leaf_anchors(labels: np.ndarray, anchors: np.ndarray, *, min_share: float, min_units: int = 5) -> np.ndarray:
    """The catalogue issue most of each theme's units take, or -1.

    Parameters
    ----------
    labels : (n,) int theme of each unit 0..k-1, -1 none
    anchors : (n,) int catalogue issue each unit matches, -1 none
    min_share : share of *all* the theme's units that must take that one issue

    Returns
    -------
    (k,) int64 catalogue issue per theme, -1 where none is clear
    """
    labels, anchors = np.asarray(labels), np.asarray(anchors)
    k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    out = np.full(k, -1, dtype=np.int64)
    for theme in range(k):
        taken = anchors[labels == theme]
        matched = taken[taken >= 0]
        if len(taken) < min_units or not len(matched):
            continue
        values, counts = np.unique(matched, return_counts=True)
        best = int(np.argmax(counts))
        if counts[best] / len(taken) >= min_share:
            out[theme] = int(values[best])
    return out


def anchored_parents(
    vectors: np.ndarray,
    labels: np.ndarray,
    anchors: np.ndarray,
    *,
    min_share: float,
    min_groups: int,
    max_groups: int,
    seed: int = 42,
) -> np.ndarray:
    """Parent groups led by a catalogue of known issues, the rest grouped from the data.

    Themes most of whose units take the same catalogue issue are one analyst-level theme, in
    whatever language or wording their fragments were found (the catalogue as zero-shot anchors,
    as BERTopic's zero-shot topics use a list of known topics). The other themes are grouped by
    :func:`choose_n_parents` into what the target range leaves over; none is forced into a
    catalogue group it does not match.

    Returns
    -------
    (k,) int64 parent group per theme, 0..g-1 by first appearance
    """
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    issue = leaf_anchors(labels, anchors, min_share=min_share)
    key: list[tuple[str, int]] = [("issue", int(a)) for a in issue]
    free = np.flatnonzero(issue < 0)
    n_issue_groups = len({a for a in issue.tolist() if a >= 0})
    if len(free):
        budget = max(max_groups - n_issue_groups, 1)
        rows = np.isin(labels, free)
        local = np.searchsorted(free, labels[rows])
        n_free_groups = choose_n_parents(
            vectors[rows], local, min_groups=min(min_groups, budget), max_groups=budget, seed=seed
        )
        c = np.vstack([vectors[labels == t].mean(axis=0) for t in free])
        c = c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)
        free_groups = fit_parents(c, n_parents=n_free_groups) if len(free) > 1 else np.zeros(1, dtype=np.int64)
        for theme, group in zip(free, free_groups):
            key[int(theme)] = ("found", int(group))
    order: dict[tuple[str, int], int] = {}
    return np.array([order.setdefault(kk, len(order)) for kk in key], dtype=np.int64)
