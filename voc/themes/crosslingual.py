"""Remove the language signal from multilingual sentence embeddings before clustering.

Raw multilingual-e5 vectors of customer comments group by *language* first and by *theme* second:
each language sits in its own region of the space. The simplest fix, subtracting each language's
mean vector, removes that offset but also removes real differences between markets whenever their
theme mix differs (if Finnish customers mostly complain about delivery, the Finnish mean *is* partly
"delivery", and centring pushes Finnish delivery comments away from everyone else's).

:class:`LanguageAligner` therefore estimates each language's offset on a *theme-balanced reference*:
it groups the pooled, plainly centred vectors into provisional themes (k-means), and measures a
language's offset only as the average gap between its own theme means and the pooled theme means,
over themes the language actually has. A language that talks mostly about delivery is then compared
with everyone else's delivery comments, not with everyone else's average comment. Optionally each
dimension is rescaled per language, because languages the model knows less well are squashed into
fewer directions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Language code used for vectors whose language was not seen at fit time.
POOLED = "*"


#: rows aligned at once: bounds the temporaries of :meth:`LanguageAligner.transform` (each the size
#: of the chunk, not of every unit of a night: 200k units at 384 dimensions are 300 MB a copy)
TRANSFORM_CHUNK = 16_384


def normalise_rows(x: np.ndarray, *, copy: bool = True) -> np.ndarray:
    """Unit-length float32 rows (zero rows stay zero) so dot products are cosines; a 1-d vector is one row.

    ``copy=False`` divides a float32 array in place: no second copy of every unit vector when the
    caller owns the array (a model's freshly corrected rows).
    """
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    norms = np.where(norms == 0, 1.0, norms)
    if copy:
        return x / norms
    return np.divide(x, norms, out=x)


def _language_index(languages: Sequence[str] | np.ndarray, known: Sequence[str]) -> np.ndarray:
    lookup = {lang: i for i, lang in enumerate(known)}
    pooled = lookup[POOLED]
    return np.array([lookup.get(str(lang), pooled) for lang in languages], dtype=np.int64)


def _provisional_themes(x: np.ndarray, *, n_groups: int, seed: int) -> np.ndarray:
    """Cheap k-means grouping of the centred vectors, only used to balance the reference."""
    from sklearn.cluster import KMeans

    n_groups = int(min(max(n_groups, 2), len(x)))
    return KMeans(n_clusters=n_groups, n_init=2, random_state=seed, max_iter=100).fit_predict(x)


def _balanced_offsets(
    x: np.ndarray, lang_idx: np.ndarray, groups: np.ndarray, n_lang: int, *, min_count: int
) -> np.ndarray:
    """Per-language offset = weighted mean over shared groups of (language group mean - pooled group mean).

    Returns (n_lang, d); a language sharing no group with enough members keeps a zero offset
    (its plain centring already applied).
    """
    d = x.shape[1]
    offsets = np.zeros((n_lang, d), dtype=np.float64)
    group_ids = np.unique(groups)
    # Pooled group means give every language the same weight, so a big language does not define
    # what "delivery" looks like for everyone.
    pooled_means = {}
    for g in group_ids:
        in_g = groups == g
        per_lang = [x[in_g & (lang_idx == li)].mean(axis=0) for li in np.unique(lang_idx[in_g])]
        pooled_means[g] = np.mean(per_lang, axis=0)
    for li in range(n_lang):
        gaps, weights = [], []
        for g in group_ids:
            members = (groups == g) & (lang_idx == li)
            count = int(members.sum())
            # Groups the language has alone carry no cross-language information.
            if count < min_count or len(np.unique(lang_idx[groups == g])) < 2:
                continue
            gaps.append(x[members].mean(axis=0) - pooled_means[g])
            weights.append(count)
        if gaps:
            offsets[li] = np.average(np.asarray(gaps), axis=0, weights=np.asarray(weights, dtype=np.float64))
    return offsets


class LanguageAligner:
    """Per-language centring (optionally theme-balanced) and per-dimension scaling.

    Parameters
    ----------
    balance : bool
        Re-estimate each language's offset on a theme-balanced reference (see module doc).
    balance_rounds : int
        Rounds of (provisional themes -> offsets); the second round sees better-aligned themes.
    scale : bool
        Divide each dimension by the language's own spread (shrunk towards the pooled spread).
    min_language_size : int
        Languages with fewer vectors are treated as the pooled language: their mean is too noisy.
    seed : int

    Attributes
    ----------
    languages_ : list of str
        Known languages, the pooled entry :data:`POOLED` last.
    means_ : ndarray (n_languages, d)
        Vector subtracted per language (plain mean plus balanced offset).
    scales_ : ndarray (n_languages, d)
        Divisor per language and dimension (ones when ``scale`` is False).
    """

    def __init__(
        self,
        *,
        balance: bool = True,
        balance_rounds: int = 2,
        scale: bool = False,
        min_language_size: int = 20,
        seed: int = 42,
    ):
        self.balance = balance
        self.balance_rounds = balance_rounds
        self.scale = scale
        self.min_language_size = min_language_size
        self.seed = seed

    def fit(self, x: np.ndarray, languages: Sequence[str]) -> LanguageAligner:
        """Learn the per-language means (and scales) from ``x`` of shape (n, d)."""
        x = normalise_rows(x).astype(np.float64)
        langs = np.asarray([str(lang) for lang in languages])
        if len(langs) != len(x):
            raise ValueError(f"LanguageAligner.fit: {len(x)} vectors but {len(langs)} languages")
        names, counts = np.unique(langs, return_counts=True)
        self.languages_ = [str(n) for n, c in zip(names, counts) if c >= self.min_language_size] + [POOLED]
        lang_idx = _language_index(langs, self.languages_)
        n_lang = len(self.languages_)
        if len(x) == 0:  # a night with nothing to theme: the identity alignment, without empty means
            self.means_ = np.zeros((n_lang, x.shape[1]), dtype=np.float32)
            self.scales_ = np.ones_like(self.means_)
            return self
        pooled_mean = x.mean(axis=0)
        means = np.tile(pooled_mean, (n_lang, 1))
        for li in range(n_lang - 1):
            means[li] = x[lang_idx == li].mean(axis=0)
        if self.balance and n_lang > 2:
            # Provisional themes: enough groups that each holds roughly one theme per language.
            n_groups = int(np.clip(np.sqrt(len(x) / 2), 4, 60))
            for _ in range(self.balance_rounds):
                centred = x - means[lang_idx]
                groups = _provisional_themes(normalise_rows(centred), n_groups=n_groups, seed=self.seed)
                offsets = _balanced_offsets(centred, lang_idx, groups, n_lang, min_count=2)
                means[:-1] += offsets[:-1]
        self.means_ = means.astype(np.float32)
        self.scales_ = np.ones_like(self.means_)
        if self.scale:
            self.scales_ = self._fit_scales(x - means[lang_idx], lang_idx, n_lang)
        return self

    def _fit_scales(self, centred: np.ndarray, lang_idx: np.ndarray, n_lang: int) -> np.ndarray:
        pooled_sd = centred.std(axis=0) + 1e-6
        scales = np.tile(pooled_sd, (n_lang, 1))
        for li in range(n_lang - 1):
            rows = centred[lang_idx == li]
            # Shrink towards the pooled spread: a few hundred rows estimate 384 variances poorly.
            weight = len(rows) / (len(rows) + 200.0)
            scales[li] = np.sqrt(weight * rows.var(axis=0) + (1 - weight) * pooled_sd**2) + 1e-6
        # Keep the overall scale: only the relative spread between languages/dimensions matters.
        return (scales / np.median(pooled_sd)).astype(np.float32)

    def realign(self, x: np.ndarray, languages: Sequence[str], groups: np.ndarray) -> LanguageAligner:
        """Re-estimate the offsets on given theme groups (n,), -1 = ignore; scales are refitted.

        The provisional k-means groups of :meth:`fit` are a rough stand-in for themes; once real
        themes are clustered, each language's offset can be measured between its own members of a
        theme and the pooled members of the same theme (cluster-conditional offsets).
        """
        x = normalise_rows(x).astype(np.float64)
        lang_idx = _language_index([str(lang) for lang in languages], self.languages_)
        n_lang = len(self.languages_)
        groups = np.asarray(groups)
        means = self.means_.astype(np.float64)
        keep = groups >= 0
        if n_lang > 2 and keep.sum() > 0:
            centred = x - means[lang_idx]
            offsets = _balanced_offsets(centred[keep], lang_idx[keep], groups[keep], n_lang, min_count=2)
            means[:-1] += offsets[:-1]
        self.means_ = means.astype(np.float32)
        if self.scale:
            self.scales_ = self._fit_scales(x - means[lang_idx], lang_idx, n_lang)
        return self

    def transform(self, x: np.ndarray, languages: Sequence[str]) -> np.ndarray:
        """Aligned unit rows of shape (n, d); unseen languages use the pooled mean."""
        lang_idx = _language_index([str(lang) for lang in languages], self.languages_)
        x = np.asarray(x)
        out = np.empty(x.shape, dtype=np.float32)
        for start in range(0, len(x), TRANSFORM_CHUNK):
            rows = slice(start, start + TRANSFORM_CHUNK)
            at = lang_idx[rows]
            out[rows] = normalise_rows((normalise_rows(x[rows]) - self.means_[at]) / self.scales_[at])
        return out

    def fit_transform(self, x: np.ndarray, languages: Sequence[str]) -> np.ndarray:
        return self.fit(x, languages).transform(x, languages)

    def get_state(self) -> dict[str, np.ndarray]:
        return {
            "aligner_languages": np.asarray(self.languages_),
            "aligner_means": self.means_,
            "aligner_scales": self.scales_,
        }

    @classmethod
    def from_state(cls, state: dict) -> LanguageAligner:
        aligner = cls()
        aligner.languages_ = [str(lang) for lang in np.asarray(state["aligner_languages"]).tolist()]
        aligner.means_ = np.asarray(state["aligner_means"], dtype=np.float32)
        aligner.scales_ = np.asarray(state["aligner_scales"], dtype=np.float32)
        return aligner
