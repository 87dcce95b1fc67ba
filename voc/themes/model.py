"""Theme discovery on precomputed multilingual sentence embeddings.

The pipeline, each step measured in ``bench/themes_quality.py``:

1. **align languages** (:class:`~voc.themes.crosslingual.LanguageAligner`): subtract each language's
   offset, estimated on a theme-balanced reference, so Polish and German comments about the same
   issue meet, then divide each dimension by the language's spread; on one-language data this is
   plain standardisation, which also removes the common direction all e5 vectors share;
   Optional linear *erasure* (:mod:`voc.themes.erasure`, parameters ``erase`` and ``erase_tone``,
   compared in ``bench/themes_alignment.py``): the tone axis of the shipped sentiment head can be
   projected out before the alignment, so comments about one cause meet whether they praise or
   blame it, and a language eraser (LSAR, F-test dimension drop, LEACE) can follow the alignment.
   Both are fitted at fit time and saved in :meth:`ThemeModel.get_state`; both are off by default
   (see ``bench/themes_alignment.py`` for the measurements behind that);
2. **reduce** with UMAP (cosine, 5 dimensions) on an exact k-NN graph computed by blocked matrix
   products: UMAP's own NN-descent is compiled by numba in every new process and took over a
   minute of a 75-second fit of 7,000 units on 2 cores; the exact graph takes 1.4 s and
   clusters as well (``bench/themes_quality.py``, column ``fit_s``). PCA before UMAP and fewer
   epochs were measured too and lost NMI on banking77, so both are off by default. Optionally on
   a *language-balanced* neighbour graph (each point takes as many neighbours from every
   language); measured, it did not help once the vectors are aligned (ARI vs language is already
   ~0) and it hurt when markets differ in theme mix, so it is off by default. Re-estimating the
   language offsets on the found clusters and clustering again (``realign_rounds``) was measured
   over three seeds and did not help on average, so it is off too;
3. **cluster**: HDBSCAN (the ``hdbscan`` package; minimum size growing with sqrt(n)) tells how many
   dense themes there are, Ward's method on the same layout cuts the units into that many compact
   groups (HDBSCAN alone left 9-17 % as noise and ragged borders on banking77);
4. **merge** clusters whose centroids are near duplicates (a guard: in the aligned space different
   themes stay below ~0.8, and pieces of one theme overlap with different themes in similarity,
   so a lower threshold would merge unrelated themes);
5. **assign**: every unit goes to its nearest centroid when it is at least as similar as the
   least-typical 2 % of cluster members; the rest stays honestly unassigned (-1). Final labels are this
   nearest-centroid rule, so :meth:`ThemeModel.transform` on the training units gives back
   ``labels_`` exactly, and a nightly run assigns new units the same way;
6. **hierarchy**: parent groups of themes (:func:`~voc.themes.hierarchy.fit_parents`).

Optionally (``anchors`` in :meth:`ThemeModel.fit`, the setting ``themes.zeroshot``) units the
catalogue of CX issues matches confidently are taken as zero-shot themes before step 2, one theme
per issue with at least the minimum theme size of units, and steps 2-3 run on the other units only;
steps 4-6 then treat both kinds alike, so a zero-shot theme is a centroid like any other and nightly
assignment needs nothing new (the BERTopic counterpart is ``zeroshot_topic_list``).

Themes are numbered by size (0 = largest), so the same input and seed give the same numbering.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from voc.themes import _model_cluster as steps
from voc.themes.crosslingual import POOLED, LanguageAligner, normalise_rows
from voc.themes.erasure import ERASERS, DirectionEraser, LeaceEraser, LinearEraser, make_eraser
from voc.themes.hierarchy import choose_n_parents, fit_parents

STATE_VERSION = 1

#: Languages with fewer units are pooled when fitting the language eraser.
MIN_ERASE_LANGUAGE_SIZE = 20

#: Tone erasure by name (``erase_tone``); an array of directions is accepted too.
TONE_ERASERS = ("none", "head", "head-leace")


class ThemeModel:
    """Discover themes in sentence embeddings of several languages.

    Parameters
    ----------
    min_theme_size : int or "auto"
        Smallest theme HDBSCAN accepts; "auto" is
        ``max(min_size_floor, round(min_size_factor * sqrt(n)))``.
    seed : int
        Seeds UMAP, k-means and sampling: same input and seed, same themes.
    merge_threshold : float
        Centroid cosine (in the aligned space) above which two themes are merged.
    align : {"balanced", "centre", "none"}
        Language alignment: centring on a theme-balanced reference, plain per-language centring, or
        nothing (raw vectors).
    scale : bool
        Also rescale each dimension per language (divide by its spread, shrunk towards the pooled
        one); measured equal or better on every benchmark set.
    erase : {"none", "lsar", "fdrop", "leace"}
        Linear language erasure after the alignment (:mod:`voc.themes.erasure`): LSAR (project out
        the span of the per-language means), dropping the dimensions with the highest F across
        languages, or LEACE (no linear probe can tell the languages apart afterwards). Fitted on
        the aligned units with their languages; languages with fewer than 20 units count as one.
        The output is centred on the fitted units (cosine clustering needs centred rows).
    erase_drop_share : float
        Share of dimensions ``erase="fdrop"`` zeroes.
    erase_tone : {"none", "head", "head-leace"} or ndarray (r, d)
        Tone erasure before the alignment, so themes form around causes rather than feelings:
        project out the shipped sentiment head's weight vector (``"head"``), LEACE on the units
        labelled negative/neutral/positive by that head (``"head-leace"``), or project out the
        given directions (e.g. positive minus negative anchor centroids).
    balanced_graph : bool
        Language-balanced neighbour graph for UMAP (off: see the module notes).
    n_neighbors, n_components : int
        UMAP settings.
    pca_components : int, optional
        Principal components kept before UMAP (None = all); the layout's cost grows with the width.
    n_epochs : int, optional
        UMAP optimisation rounds (None = UMAP's default, 500 below 10,000 units).
    exact_knn_limit : int
        Up to this many units UMAP gets an exact neighbour graph; above, its own NN-descent.
    realign_rounds : int
        Rounds of (cluster -> re-estimate language offsets on the clusters -> re-align); each
        round costs one more layout and clustering.
    clusterer : str
        A key of :data:`voc.themes._model_cluster.CLUSTERERS`. "hdbscan" (the default) keeps
        density clusters, whose units are the theme's own, and lets the rest join the nearest
        theme afterwards; "hybrid" cuts a Ward tree at HDBSCAN's number of themes, whose compact
        borders also take in neighbouring issues (a data-breach theme with invoice errors and
        return labels in it on the demo).
    refine_iter : int
        Spherical k-means rounds in the aligned space after clustering (0 = none).
    outlier_quantile : float
        Share of the least typical real members that still defines "fits a theme"; sets
        ``threshold_``.
    assign_threshold : float, optional
        Fixed similarity threshold instead of the learned one.
    min_size_factor, min_size_floor : float, int
        Factor and floor of the "auto" minimum size.
    n_parents : int, optional
        Parent groups; default about sqrt(number of themes), or chosen from the data when
        ``analyst_themes`` is given.
    analyst_themes : (int, int), optional
        Target range of the number of analyst-level themes (parents plus themes without one):
        the number of parents is the most stable grouping within it
        (:func:`voc.themes.hierarchy.choose_n_parents`).

    Attributes
    ----------
    labels_ : (n,) int64, -1 = unassigned, themes 0..k-1 by decreasing size
    similarities_ : (n,) float32, similarity of each unit to its nearest centroid
    centroids_ : (k, d) float32 unit rows in the aligned space
    parents_ : (k,) int64 parent group per theme, 0..g-1
    threshold_ : float, similarity needed to join a theme
    min_size_ : int, the minimum theme size used
    catalogue_ : (k,) int64 catalogue issue each theme was built from (-1 discovered); set by
        :meth:`fit` (all -1 without ``anchors``), not saved in the state (nightly assignment needs
        only the centroids)
    aligner_ : LanguageAligner or None
    eraser_ : LinearEraser or None, the language eraser (``erase``)
    tone_eraser_ : LinearEraser or None, the tone eraser (``erase_tone``)
    """

    def __init__(
        self,
        *,
        min_theme_size: int | str = "auto",
        seed: int = 42,
        merge_threshold: float = 0.92,
        align: str = "balanced",
        scale: bool = True,
        erase: str = "none",
        erase_drop_share: float = 0.1,
        erase_tone: str | np.ndarray = "none",
        balanced_graph: bool = False,
        n_neighbors: int = 15,
        n_components: int = 5,
        pca_components: int | None = None,
        n_epochs: int | None = None,
        exact_knn_limit: int = steps.EXACT_KNN_LIMIT,
        realign_rounds: int = 0,
        clusterer: str = "hdbscan",
        refine_iter: int = 0,
        outlier_quantile: float = 0.02,
        assign_threshold: float | None = None,
        min_size_factor: float = 0.25,
        min_size_floor: int = 10,
        n_parents: int | None = None,
        analyst_themes: tuple[int, int] | None = None,
    ):
        self.min_theme_size = min_theme_size
        self.seed = seed
        self.merge_threshold = merge_threshold
        self.align = align
        self.scale = scale
        self.erase = erase
        self.erase_drop_share = erase_drop_share
        self.erase_tone = erase_tone
        self.balanced_graph = balanced_graph
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.pca_components = pca_components
        self.n_epochs = n_epochs
        self.exact_knn_limit = exact_knn_limit
        self.realign_rounds = realign_rounds
        self.clusterer = clusterer
        self.refine_iter = refine_iter
        self.outlier_quantile = outlier_quantile
        self.assign_threshold = assign_threshold
        self.min_size_factor = min_size_factor
        self.min_size_floor = min_size_floor
        self.n_parents = n_parents
        self.analyst_themes = analyst_themes

    # --- fitting ---------------------------------------------------------------------------
    def fit(
        self,
        embeddings: np.ndarray,
        *,
        languages: Sequence[str],
        texts: Sequence[str] | None = None,
        anchors: np.ndarray | None = None,
    ) -> ThemeModel:
        """Discover themes, optionally around zero-shot themes given per unit.

        Parameters
        ----------
        embeddings : (n, d) array, one row per unit
        languages : sequence of n language codes (``"und"`` allowed)
        texts : sequence of n str, optional
            Accepted for interface symmetry with labelling; the model itself uses vectors only.
        anchors : (n,) int array, optional
            Each unit's catalogue issue (-1 none), as :meth:`voc.themes.catalogue.CatalogueMatcher.match`
            gives it. Every issue held by at least ``min_size_`` units becomes one theme of its units
            (a zero-shot theme); only the other units are laid out and clustered (see
            :meth:`_cluster_around`). ``catalogue_`` then tells which theme came from which issue.
            Final labels stay the nearest-centroid rule of step 5 for every unit, so a zero-shot
            theme may also gather units the matcher left alone, and a matched unit nearer another
            theme's centroid goes there: BERTopic keeps its zero-shot assignments as matched, which
            nightly assignment by centroid could not reproduce.
        """
        x = self._check(embeddings, languages)
        self._fit_tone_eraser(x)
        self._fit_aligner(x, languages)
        self._fit_eraser(x, languages)
        aligned = self.correct(x, languages=languages)
        self.min_size_ = self._resolve_min_size(len(x))
        fixed, issues = self._zeroshot_labels(anchors, len(x))
        raw = self._cluster_around(aligned, languages, fixed)
        merged = steps.merge_duplicates(aligned, raw, threshold=self.merge_threshold)
        # One language has no offsets to re-estimate: skip the extra layouts.
        multilingual = self.aligner_ is not None and len(self.aligner_.languages_) > 2
        for _ in range(self.realign_rounds if multilingual else 0):
            assert self.aligner_ is not None
            self.aligner_.realign(x, languages, merged)
            self._fit_eraser(x, languages)
            aligned = self.correct(x, languages=languages)
            raw = self._cluster_around(aligned, languages, fixed)
            merged = steps.merge_duplicates(aligned, raw, threshold=self.merge_threshold)
        self.raw_labels_ = raw
        self.threshold_ = self._learn_threshold(aligned, merged)
        refined = steps.refine_spherical(aligned, merged, n_iter=self.refine_iter, threshold=self.threshold_)
        cluster_ids = self._finalise(aligned, refined)
        # a theme built on a zero-shot cluster (or one a discovered piece merged into) keeps its issue
        self.catalogue_ = np.array(
            [int(issues[c]) if 0 <= c < len(issues) else -1 for c in cluster_ids.tolist()], dtype=np.int64
        )
        return self

    def _zeroshot_labels(self, anchors: np.ndarray | None, n: int) -> tuple[np.ndarray | None, np.ndarray]:
        """Fixed labels (n,) of the zero-shot themes and the issue (a,) of each; (None, empty) without."""
        if anchors is None:
            return None, np.zeros(0, dtype=np.int64)
        anchors = np.asarray(anchors, dtype=np.int64)
        if anchors.shape != (n,):
            raise ValueError(f"ThemeModel: {n} embeddings but anchors of shape {anchors.shape}")
        return steps.anchored_labels(anchors, min_size=self.min_size_)

    def _cluster_around(self, aligned: np.ndarray, languages: Sequence[str], fixed: np.ndarray | None) -> np.ndarray:
        """Labels (n,): the zero-shot themes as fixed (0..a-1), the other units clustered (a.. upwards).

        The zero-shot units are left out of the layout altogether rather than laid out and then
        removed: BERTopic fits UMAP on every document and only transforms the leftovers, so the
        catalogue's units still shape the space the rest is clustered in. Zero-shot clusters take
        the lowest ids, so a discovered piece merged into one (:func:`steps.merge_duplicates` keeps
        the lowest id of a merged group) leaves the theme under its catalogue issue.
        """
        if fixed is None or not np.any(fixed >= 0):
            return self._cluster(aligned, languages)
        labels = fixed.copy()
        rest = np.flatnonzero(fixed < 0)
        if len(rest):
            found = self._cluster(aligned[rest], np.asarray(languages, dtype=object)[rest].tolist())
            labels[rest] = np.where(found >= 0, found + int(fixed.max()) + 1, -1)
        return labels

    def _check(self, embeddings: np.ndarray, languages: Sequence[str]) -> np.ndarray:
        x = np.asarray(embeddings, dtype=np.float32)
        if x.ndim != 2:
            raise ValueError(f"ThemeModel: embeddings must be 2-d (n, d), got shape {x.shape}")
        if len(languages) != len(x):
            raise ValueError(f"ThemeModel: {len(x)} embeddings but {len(languages)} languages")
        return x

    def _fit_tone_eraser(self, x: np.ndarray) -> None:
        """Tone erasure on the unit rows, before anything else sees them."""
        self.tone_eraser_: LinearEraser | None = None
        tone = self.erase_tone
        if isinstance(tone, str):
            if tone not in TONE_ERASERS:
                raise ValueError(f"ThemeModel: erase_tone must be one of {TONE_ERASERS} or an array, got {tone!r}")
            if tone == "none":
                return
            from voc.sentiment.default import load_default_model

            head = load_default_model()
            if len(head.coef_) != x.shape[1]:
                raise ValueError(
                    f"ThemeModel: erase_tone={tone!r} needs embeddings of the shipped sentiment head's width "
                    f"{len(head.coef_)}, got {x.shape[1]}"
                )
            if tone == "head":
                self.tone_eraser_ = DirectionEraser(head.coef_).fit(x)
                return
            units = normalise_rows(x)
            tones = head.label(head.score(units))
            if len(set(tones.tolist())) < 2:
                return  # one tone only: nothing to erase
            self.tone_eraser_ = LeaceEraser().fit(units, tones)
            return
        self.tone_eraser_ = DirectionEraser(np.asarray(tone)).fit(x)

    def _fit_aligner(self, x: np.ndarray, languages: Sequence[str]) -> None:
        if self.align not in ("balanced", "centre", "none"):
            raise ValueError(f"ThemeModel: align must be 'balanced', 'centre' or 'none', got {self.align!r}")
        self.aligner_ = None
        self.eraser_: LinearEraser | None = None  # correct() must not apply a previous fit's eraser
        if self.align != "none":
            self.aligner_ = LanguageAligner(balance=self.align == "balanced", scale=self.scale, seed=self.seed).fit(
                self._tone_erased(x), languages
            )

    def _fit_eraser(self, x: np.ndarray, languages: Sequence[str]) -> None:
        """Language erasure fitted on the aligned units (no-op with one language)."""
        if self.erase != "none" and self.erase not in ERASERS:
            raise ValueError(f"ThemeModel: erase must be 'none' or one of {ERASERS}, got {self.erase!r}")
        self.eraser_ = None
        if self.erase == "none":
            return
        langs = np.asarray([str(lang) for lang in languages])
        names, counts = np.unique(langs, return_counts=True)
        # Like the aligner: a language with a handful of units has no reliable mean of its own.
        small = set(names[counts < MIN_ERASE_LANGUAGE_SIZE].tolist())
        langs = np.where(np.isin(langs, list(small)), POOLED, langs)
        if len(np.unique(langs)) < 2:
            return
        options: dict[str, float | bool] = {"centre": True}
        if self.erase == "fdrop":
            options["drop_share"] = self.erase_drop_share
        self.eraser_ = make_eraser(self.erase, **options).fit(self.correct(x, languages=languages), langs)

    def _resolve_min_size(self, n: int) -> int:
        if self.min_theme_size == "auto":
            return steps.auto_min_size(n, factor=self.min_size_factor, floor=self.min_size_floor)
        size = int(self.min_theme_size)
        if size < 2:
            raise ValueError(f"ThemeModel: min_theme_size must be >= 2 or 'auto', got {self.min_theme_size!r}")
        return size

    def _cluster(self, aligned: np.ndarray, languages: Sequence[str]) -> np.ndarray:
        n = len(aligned)
        if n < max(10, 2 * self.min_size_):
            return np.full(n, -1, dtype=np.int64)  # too little data for any theme to be real
        if self.clusterer not in steps.CLUSTERERS:
            raise ValueError(f"ThemeModel: unknown clusterer {self.clusterer!r}; known: {sorted(steps.CLUSTERERS)}")
        reduced = steps.reduce_umap(
            aligned,
            languages=languages,
            n_neighbors=self.n_neighbors,
            n_components=self.n_components,
            balanced=self.balanced_graph,
            seed=self.seed,
            pca_components=self.pca_components,
            n_epochs=self.n_epochs,
            exact_knn_limit=self.exact_knn_limit,
        )
        return steps.CLUSTERERS[self.clusterer](reduced, self.min_size_, self.seed)

    def _learn_threshold(self, aligned: np.ndarray, labels: np.ndarray) -> float:
        """Fixed threshold, or the ``outlier_quantile`` of members' similarity to their centroid."""
        if self.assign_threshold is not None:
            return float(self.assign_threshold)
        return steps.assignment_threshold(aligned, labels, quantile=self.outlier_quantile)

    def _finalise(self, aligned: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Centroids, learned threshold, nearest-centroid labels numbered by size, parents.

        Returns the cluster id (in ``labels``) each final theme was built from, shape (k,).
        """
        ids, cents = steps.centroids_of(aligned, labels)
        rows, _ = steps.nearest_centroid(aligned, cents, self.threshold_)
        # Number by size so theme 0 is the largest; ties by first unit, for a stable order.
        present = [r for r in range(len(cents)) if np.any(rows == r)]
        present.sort(key=lambda r: (-int(np.sum(rows == r)), int(np.argmax(rows == r))))
        self.centroids_ = cents[present] if present else np.zeros((0, aligned.shape[1]), dtype=np.float32)
        self.labels_, self.similarities_ = steps.nearest_centroid(aligned, self.centroids_, self.threshold_)
        n_parents = self.n_parents
        if n_parents is None and self.analyst_themes is not None:
            low, high = self.analyst_themes
            n_parents = choose_n_parents(aligned, self.labels_, min_groups=low, max_groups=high, seed=self.seed)
        self.parents_ = fit_parents(self.centroids_, n_parents=n_parents)
        return np.asarray(ids[present] if present else np.zeros(0, dtype=np.int64), dtype=np.int64)

    def fit_predict(self, embeddings: np.ndarray, *, languages: Sequence[str], texts: Sequence[str] | None = None):
        return self.fit(embeddings, languages=languages, texts=texts).labels_

    # --- using a fitted model ---------------------------------------------------------------
    def correct(self, embeddings: np.ndarray, *, languages: Sequence[str]) -> np.ndarray:
        """The language alignment applied before clustering: (n, d) unit rows.

        Centroids live in this space, so anything compared with them (new units, another night's
        centroids) must go through it first.
        """
        x = self._tone_erased(np.asarray(embeddings, dtype=np.float32))
        aligned = normalise_rows(x) if self.aligner_ is None else self.aligner_.transform(x, languages)
        eraser = getattr(self, "eraser_", None)
        return aligned if eraser is None else normalise_rows(eraser.transform(aligned))

    def _tone_erased(self, x: np.ndarray) -> np.ndarray:
        """Unit rows with the tone removed (when ``erase_tone`` is set), else the unit rows."""
        units = normalise_rows(x)
        tone = getattr(self, "tone_eraser_", None)
        return units if tone is None else normalise_rows(tone.transform(units))

    def transform(self, embeddings: np.ndarray, *, languages: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Assign units to the fitted themes.

        Returns
        -------
        labels : (n,) int64, theme number or -1 when below ``threshold_``
        similarity : (n,) float32, cosine to the nearest centroid
        """
        self._require_fitted()
        aligned = self.correct(self._check(embeddings, languages), languages=languages)
        return steps.nearest_centroid(aligned, self.centroids_, self.threshold_)

    def _require_fitted(self) -> None:
        if not hasattr(self, "centroids_"):
            raise RuntimeError("ThemeModel is not fitted: call fit() or from_state() first")

    # --- persistence ------------------------------------------------------------------------
    def get_state(self) -> dict[str, np.ndarray | float | int | str]:
        """Everything :meth:`transform` and :meth:`correct` need; arrays and plain scalars only.

        Saves with ``np.savez(path, **state)`` (string arrays are unicode, no pickling) or as JSON
        after ``.tolist()``.
        """
        self._require_fitted()
        state: dict[str, np.ndarray | float | int | str] = {
            "version": STATE_VERSION,
            "centroids": self.centroids_,
            "parents": self.parents_,
            "threshold": float(self.threshold_),
            "seed": int(self.seed),
            "merge_threshold": float(self.merge_threshold),
            "min_size": int(self.min_size_),
            "align": self.align,
            "scale": int(self.scale),
            "erase": self.erase,
            "erase_tone": self.erase_tone if isinstance(self.erase_tone, str) else "directions",
        }
        if self.aligner_ is not None:
            state.update(self.aligner_.get_state())
        eraser, tone_eraser = getattr(self, "eraser_", None), getattr(self, "tone_eraser_", None)
        if eraser is not None:
            state.update(eraser.get_state("eraser"))
        if tone_eraser is not None:
            state.update(tone_eraser.get_state("tone_eraser"))
        return state

    @classmethod
    def from_state(cls, state) -> ThemeModel:
        """Rebuild a fitted model from :meth:`get_state` output (a dict or a loaded ``.npz``)."""

        def scalar(key):
            value = np.asarray(state[key])
            return value.item() if value.ndim == 0 else value.tolist()

        model = cls(
            seed=int(scalar("seed")), merge_threshold=float(scalar("merge_threshold")), align=str(scalar("align"))
        )
        model.scale = bool(scalar("scale"))
        model.centroids_ = np.asarray(state["centroids"], dtype=np.float32).reshape(
            -1, np.shape(state["centroids"])[-1]
        )
        model.parents_ = np.asarray(state["parents"], dtype=np.int64)
        model.threshold_ = float(scalar("threshold"))
        model.min_size_ = int(scalar("min_size"))
        model.aligner_ = LanguageAligner.from_state(state) if "aligner_means" in state else None
        # States written before erasure existed have none of these keys: no erasure, as then.
        if "erase" in state:
            model.erase = str(scalar("erase"))
        model.eraser_ = LinearEraser.from_state(state, "eraser") if "eraser_mean" in state else None
        model.tone_eraser_ = LinearEraser.from_state(state, "tone_eraser") if "tone_eraser_mean" in state else None
        return model
