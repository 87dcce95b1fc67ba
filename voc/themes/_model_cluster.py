"""Reduction and clustering steps of :class:`voc.themes.model.ThemeModel`, each a small function.

Kept apart from the model so the benchmark can swap one step at a time (ablations) and so each step
can be tested alone. All functions are deterministic for a fixed ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from voc.themes.crosslingual import normalise_rows


def auto_min_size(n: int, *, factor: float = 0.25, floor: int = 10) -> int:
    """Minimum theme size that grows with the data: ``max(floor, round(factor * sqrt(n)))``.

    A constant (BERTopic's 10) finds hundreds of micro-themes in 100k comments; the square root
    keeps the number of themes an analyst must read roughly proportional to sqrt(n). The floor of
    10 holds up to 1,600 units: below it, smaller minimums split themes into groups of near-
    paraphrases (measured in ``bench/themes_quality.py`` on banking77, GermEval and five-language
    sets, the best minimum was 10-14 on all of them).
    """
    return int(max(floor, round(factor * np.sqrt(max(n, 1)))))


def _chunked_top(sims_fn: Callable[[int, int], np.ndarray], n: int, k: int, chunk: int = 2048):
    idx = np.empty((n, k), dtype=np.int64)
    val = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, chunk):
        sims = sims_fn(start, min(n, start + chunk))
        part = np.argpartition(-sims, kth=k - 1, axis=1)[:, :k]
        part_vals = np.take_along_axis(sims, part, axis=1)
        order = np.argsort(-part_vals, axis=1, kind="stable")
        idx[start : start + len(sims)] = np.take_along_axis(part, order, axis=1)
        val[start : start + len(sims)] = np.take_along_axis(part_vals, order, axis=1)
    return idx, val


def exact_knn(x: np.ndarray, n_neighbors: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine k-NN by blocked matrix products, the point itself first (as UMAP expects).

    UMAP's own approximate search (NN-descent) must be compiled by numba in every new process,
    which alone took over a minute for 7,000 units on a 2-core machine; a blocked exact search
    costs n^2 d multiply-adds (1.4 s for 7,000 x 384) and needs no compilation.

    Returns
    -------
    indices : (n, n_neighbors) int64
    distances : (n, n_neighbors) float32, cosine distances, ascending per row
    """
    x = normalise_rows(x)
    n = len(x)
    k = int(min(n_neighbors, n))
    rows_all = np.arange(n)

    def sims(a: int, b: int) -> np.ndarray:
        block = x[a:b] @ x.T
        block[np.arange(b - a), rows_all[a:b]] = np.inf  # the point itself always comes first
        return block

    # Blocks of about 16M similarities (64 MB) whatever n is.
    idx, val = _chunked_top(sims, n, k, chunk=int(max(64, min(2048, 2**24 // max(n, 1)))))
    dist = np.clip(1.0 - np.minimum(val, 1.0), 0.0, 2.0).astype(np.float32)
    return idx, dist


#: Up to this many units the neighbour graph is exact (:func:`exact_knn`); above it the n^2 cost
#: outgrows NN-descent's one-off compilation and UMAP's own approximate search takes over. Set to
#: the default ``themes.fit_sample_size``, so a sampled refit never runs NN-descent: on 50,000
#: units of 384 dimensions the exact search took 40 s and 0.3 GB here, NN-descent 1.2 GB.
EXACT_KNN_LIMIT = 50_000


def balanced_knn(x: np.ndarray, languages: Sequence[str], n_neighbors: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine k-NN where every language contributes the same number of neighbours.

    A plain k-NN graph of multilingual vectors links comments mostly to their own language; giving
    each language an equal share of every point's neighbours makes the graph (and UMAP's layout)
    language-blind. The point itself comes first (distance 0), as UMAP expects, followed by
    ``(n_neighbors - 1) // n_languages`` neighbours from each language (fewer for a language with
    fewer members), so the width is ``1 + per_language * n_languages``.

    Returns
    -------
    indices : (n, width) int64
    distances : (n, width) float32, cosine distances, ascending per row
    """
    x = normalise_rows(x)
    langs = np.asarray([str(lang) for lang in languages])
    names = np.unique(langs)
    per_lang = max(1, (n_neighbors - 1) // len(names))
    rows_all = np.arange(len(x))
    cand_idx, cand_val = [], []
    for name in names:
        members = np.flatnonzero(langs == name)
        k = min(per_lang, len(members) - 1) if len(members) > 1 else 1

        def sims(a: int, b: int, members=members) -> np.ndarray:
            block = x[a:b] @ x[members].T
            block[members[None, :] == rows_all[a:b, None]] = -np.inf  # never one's own neighbour
            return block

        idx, val = _chunked_top(sims, len(x), k)
        cand_idx.append(members[idx])
        cand_val.append(val)
    idx = np.concatenate([rows_all[:, None]] + cand_idx, axis=1)
    val = np.concatenate([np.full((len(x), 1), 2.0, dtype=np.float32)] + cand_val, axis=1)
    order = np.argsort(-val, axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=1)
    val = np.take_along_axis(val, order, axis=1)
    dist = np.clip(1.0 - np.minimum(val, 1.0), 0.0, 2.0).astype(np.float32)
    return idx, dist


def project_pca(x: np.ndarray, *, n_components: int, seed: int = 42) -> np.ndarray:
    """Leading principal components, (n, min(n_components, d, n)) float32, rows renormalised.

    UMAP's neighbour search and every epoch scale with the input width; on e5 vectors the theme
    structure lives in the leading components, so 384 -> ~50 dimensions makes the layout several
    times cheaper with the same themes (measured in ``bench/themes_quality.py``).
    """
    from sklearn.decomposition import PCA

    k = int(min(n_components, x.shape[1], len(x) - 1))
    if k < 2 or k >= x.shape[1]:
        return np.asarray(x, dtype=np.float32)
    z = PCA(n_components=k, svd_solver="randomized", random_state=seed).fit_transform(x)
    return normalise_rows(z)


def reduce_umap(
    x: np.ndarray,
    *,
    languages: Sequence[str] | None = None,
    n_neighbors: int = 15,
    n_components: int = 5,
    min_dist: float = 0.0,
    balanced: bool = False,
    seed: int = 42,
    pca_components: int | None = None,
    n_epochs: int | None = None,
    exact_knn_limit: int = EXACT_KNN_LIMIT,
) -> np.ndarray:
    """UMAP to a few dimensions where density-based clustering works (384-d cosine space does not).

    Returns (n, n_components) float32. With ``balanced`` the neighbour graph is
    :func:`balanced_knn`, otherwise :func:`exact_knn` up to ``exact_knn_limit`` units (same
    graph as UMAP's own exact search below 4,096 units, without NN-descent's numba compilation
    above). ``pca_components`` first projects to that many principal components
    (:func:`project_pca`); ``n_epochs`` caps the layout's optimisation rounds (UMAP's own default
    is 500 below 10,000 points, 200 above).
    """
    import umap

    n = len(x)
    n_neighbors = int(min(n_neighbors, n - 1))
    n_components = int(min(n_components, max(n - 2, 1)))
    kwargs = {}
    if balanced and languages is not None and len(set(map(str, languages))) > 1:
        idx, dist = balanced_knn(x, languages, n_neighbors)
        kwargs["precomputed_knn"] = (idx, dist, None)
        n_neighbors = idx.shape[1]
    else:
        if pca_components:
            x = project_pca(x, n_components=pca_components, seed=seed)
        if n <= exact_knn_limit:
            idx, dist = exact_knn(x, n_neighbors)
            kwargs["precomputed_knn"] = (idx, dist, None)
    reducer = umap.UMAP(
        n_neighbors=n_neighbors,
        n_components=n_components,
        min_dist=min_dist,
        metric="cosine",
        random_state=seed,
        n_jobs=1,
        low_memory=True,
        n_epochs=n_epochs,
        # UMAP's default spectral start (ARPACK) is not reproducible from one process to the next
        # (layouts of the same units differed by up to 9 units of distance, and the themes with
        # them); a PCA start is, so the same units and seed give the same themes
        init="pca",
        **kwargs,
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n_jobs/random_state and precomputed-knn notices
        return np.asarray(reducer.fit_transform(x), dtype=np.float32)


def cluster_hdbscan(
    z: np.ndarray, *, min_size: int, min_samples: int | None = None, method: str = "eom", seed: int = 42
) -> np.ndarray:
    """HDBSCAN labels (n,), -1 = noise. ``hdbscan`` package, as BERTopic uses it."""
    import hdbscan

    model = hdbscan.HDBSCAN(
        min_cluster_size=int(min_size),
        min_samples=int(min_samples) if min_samples else None,
        cluster_selection_method=method,
        metric="euclidean",
        core_dist_n_jobs=1,
    )
    return model.fit_predict(z).astype(np.int64)


def cluster_agglomerative(z: np.ndarray, *, min_size: int, seed: int = 42) -> np.ndarray:
    """Ward clustering cut where the silhouette is best among candidate numbers of themes.

    Candidates run from 2 up to ``n / min_size`` on a log grid, so no number of themes is given.
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.metrics import silhouette_score

    n = len(z)
    tree = linkage(z, method="ward")
    k_max = max(2, n // max(min_size, 1))
    candidates = np.unique(np.geomspace(2, k_max, num=min(24, k_max - 1)).round().astype(int))
    rng = np.random.default_rng(seed)
    sample = rng.choice(n, size=min(n, 4000), replace=False)
    best, best_labels = -np.inf, np.zeros(n, dtype=np.int64)
    for k in candidates:
        labels = fcluster(tree, t=int(k), criterion="maxclust") - 1
        if len(np.unique(labels[sample])) < 2:
            continue
        score = silhouette_score(z[sample], labels[sample])
        if score > best:
            best, best_labels = score, labels.astype(np.int64)
    return best_labels


#: Above this many units Ward runs on a sparse k-NN connectivity graph instead of all pairs.
WARD_DENSE_LIMIT = 15_000


def cluster_hybrid(z: np.ndarray, *, min_size: int, seed: int = 42) -> np.ndarray:
    """Ward partition of every unit, cut at the number of clusters HDBSCAN finds.

    HDBSCAN is good at telling *how many* dense themes there are but leaves many units as noise
    and cuts ragged borders; Ward assigns every unit with compact borders but needs a number of
    clusters. Each does the half it is good at.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    density = cluster_hdbscan(z, min_size=min_size, min_samples=max(2, min_size // 2), seed=seed)
    k = int(len(np.unique(density[density >= 0])))
    if k < 2:
        return density
    if len(z) > WARD_DENSE_LIMIT:
        # The full Ward tree needs n^2/2 distances; a k-NN connectivity graph keeps memory linear.
        from sklearn.cluster import AgglomerativeClustering
        from sklearn.neighbors import kneighbors_graph

        graph = kneighbors_graph(z, n_neighbors=15, include_self=False)
        return AgglomerativeClustering(n_clusters=k, linkage="ward", connectivity=graph).fit_predict(z).astype(np.int64)
    return (fcluster(linkage(z, method="ward"), t=k, criterion="maxclust") - 1).astype(np.int64)


#: Clustering back-ends by name; each maps (reduced vectors, min_size, seed) to labels (n,).
CLUSTERERS: dict[str, Callable[..., np.ndarray]] = {
    "hdbscan": lambda z, min_size, seed: cluster_hdbscan(
        z, min_size=min_size, min_samples=max(2, min_size // 2), seed=seed
    ),
    "hdbscan_leaf": lambda z, min_size, seed: cluster_hdbscan(
        z, min_size=min_size, min_samples=max(2, min_size // 2), method="leaf", seed=seed
    ),
    "hdbscan_default": lambda z, min_size, seed: cluster_hdbscan(z, min_size=min_size, seed=seed),
    "hybrid": lambda z, min_size, seed: cluster_hybrid(z, min_size=min_size, seed=seed),
    "agglomerative": lambda z, min_size, seed: cluster_agglomerative(z, min_size=min_size, seed=seed),
}


def centroids_of(x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit-length mean vector of each cluster.

    Returns
    -------
    ids : (k,) the cluster ids present (noise excluded), ascending
    centroids : (k, d) float32 unit rows
    """
    ids = np.unique(labels[labels >= 0])
    if len(ids) == 0:
        return ids, np.zeros((0, x.shape[1]), dtype=np.float32)
    cents = np.vstack([x[labels == i].mean(axis=0) for i in ids])
    return ids, normalise_rows(cents)


def anchored_labels(anchors: np.ndarray, *, min_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Zero-shot themes: one fixed cluster per catalogue issue that holds at least ``min_size`` units.

    An issue matched by fewer units than the smallest theme clustering may find would be a theme no
    discovered theme could be, so its units are released to clustering instead (BERTopic keeps
    every matched zero-shot topic however small).

    Parameters
    ----------
    anchors : (n,) int, each unit's catalogue issue (-1 none)
    min_size : int, fewest units a catalogue theme needs

    Returns
    -------
    labels : (n,) int64, 0..a-1 for the units of the a kept issues (in issue order), -1 for the rest
    issues : (a,) int64, the catalogue issue of each kept label
    """
    anchors = np.asarray(anchors, dtype=np.int64)
    found, counts = np.unique(anchors[anchors >= 0], return_counts=True)
    issues = found[counts >= max(int(min_size), 1)].astype(np.int64)
    lookup = np.full(int(anchors.max(initial=-1)) + 2, -1, dtype=np.int64)
    lookup[issues] = np.arange(len(issues))
    labels = np.where(anchors >= 0, lookup[np.maximum(anchors, 0)], -1).astype(np.int64)
    return labels, issues


def merge_duplicates(x: np.ndarray, labels: np.ndarray, *, threshold: float) -> np.ndarray:
    """Merge clusters whose centroids have cosine >= ``threshold`` (single-link over the pairs).

    Density clustering often cuts one theme into two near-identical pieces; those pieces look like
    duplicates to an analyst. Returns new labels (n,) with merged ids (not renumbered): a merged
    group takes the lowest id among its clusters, so a caller that gives its fixed clusters the
    lowest ids (the zero-shot themes) knows they survive a merge under their own id.
    """
    ids, cents = centroids_of(x, labels)
    if len(ids) < 2:
        return labels.copy()
    sims = cents @ cents.T
    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(sims, k=1) >= threshold)):
        a, b = find(int(i)), find(int(j))
        parent[max(a, b)] = min(a, b)
    mapping = {int(ids[i]): int(ids[find(i)]) for i in range(len(ids))}
    return np.array([mapping.get(int(label), -1) for label in labels], dtype=np.int64)


def assignment_threshold(x: np.ndarray, labels: np.ndarray, *, quantile: float) -> float:
    """Similarity below which a vector fits no theme, learned from the clusters themselves.

    The ``quantile`` of the similarities of clustered vectors to their own centroid: a vector less
    similar to its nearest theme than almost all real members is noise, in whatever space and
    model the similarities live (a fixed cosine would mean different things per model).
    """
    ids, cents = centroids_of(x, labels)
    if len(ids) == 0:
        return 1.0
    lookup = {int(i): r for r, i in enumerate(ids)}
    members = labels >= 0
    rows = np.array([lookup[int(label)] for label in labels[members]])
    own = np.einsum("ij,ij->i", x[members], cents[rows])
    return float(np.quantile(own, quantile))


def nearest_centroid(x: np.ndarray, centroids: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Row of the most similar centroid (or -1 below ``threshold``) and that similarity, each (n,)."""
    if len(centroids) == 0:
        return np.full(len(x), -1, dtype=np.int64), np.zeros(len(x), dtype=np.float32)
    sims = x @ centroids.T
    best = sims.argmax(axis=1)
    sim = sims[np.arange(len(x)), best].astype(np.float32)
    return np.where(sim >= threshold, best, -1).astype(np.int64), sim


def refine_spherical(x: np.ndarray, labels: np.ndarray, *, n_iter: int, threshold: float) -> np.ndarray:
    """A few spherical k-means rounds started from the clusters: centroid -> nearest -> centroid.

    Density/Ward clusters are cut in the 5-d UMAP layout, which bends distances; a couple of rounds
    in the full aligned space move border units to the theme they are really closest to and make
    the final nearest-centroid rule agree with the centroids it was computed from. ``threshold``
    stays fixed (learned once from the clusters), otherwise each round would trim another tail.
    """
    for _ in range(n_iter):
        _, cents = centroids_of(x, labels)
        if len(cents) == 0:
            break
        new, _ = nearest_centroid(x, cents, threshold)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels
