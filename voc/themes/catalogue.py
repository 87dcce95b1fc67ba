"""A shipped, editable catalogue of recurring CX issues, and the zero-shot matcher that uses it.

Clustering finds themes, but an analyst acts on named, stable issues that recur across businesses
("Late delivery", "Hidden fees", "Praise for staff"). ``catalogue.yaml`` lists such issues with
short customer-style examples in every supported language; :class:`CatalogueMatcher` gives a unit
(a sentence of feedback) a catalogue theme when it is clearly closer to that theme's examples than to
any other, the way BERTopic's ``zeroshot_topic_list`` does. Units left unmatched are clustered
elsewhere and become discovered themes.

Why per-language calibration: multilingual-e5 vectors carry a language component, so a unit is
closer to every example of its own language than to the examples of other languages, and how much
closer differs by language (Finnish sentences are on average more alike one another than English ones
are). A unit is scored against the examples of *all* languages, and its scores are then shifted by its
language's offset: how similar that language's examples of *different* themes are to one another,
minus the same figure averaged over languages, both measured on the catalogue itself. Without the
shift a threshold chosen on English tweets alone let a fifth of off-topic Finnish sentences take a
theme; with it, none (``bench/catalogue_match.py``). Centring vectors per language was measured too
and is kept as an option, but it let more off-topic sentences through at a lower precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Literal, Protocol, TypeAlias

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from voc.errors import InputError

#: Languages every theme needs examples in.
LANGUAGES: Final[tuple[str, ...]] = ("pl", "fi", "uk", "en", "de")
#: Area names: the three CX areas of ``voc/impact/taxonomy.yaml`` (one vocabulary through the product).
AREAS: Final[tuple[str, ...]] = ("brand perception and value", "how the organisation serves", "after-sales")
#: Fewest examples a theme needs per language.
MIN_EXAMPLES: Final = 3
DEFAULT_CATALOGUE: Final = Path(__file__).with_name("catalogue.yaml")
NO_MATCH: Final = -1
Calibration: TypeAlias = Literal["offset", "center", "none"]


class CatalogueTheme(BaseModel):
    """One recurring issue: a stable id, names an analyst reads, and examples per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="slug, unique in the catalogue")
    name: str = Field(min_length=1, description="2-4 words in English")
    names: dict[str, str] = Field(default_factory=dict, description="optional names per language")
    description: str = Field(min_length=1)
    polarity: Literal["complaint", "praise", "either"]
    examples: dict[str, list[str]]
    area: str = Field(default="", description="filled from the area the theme is listed under")


class CatalogueArea(BaseModel):
    """One of the three CX areas and the themes listed under it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    themes: list[CatalogueTheme]


class Catalogue(BaseModel):
    """The parsed catalogue file. Validation names the theme at fault."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    areas: list[CatalogueArea]

    @model_validator(mode="after")
    def _check(self) -> Catalogue:
        seen: set[str] = set()
        for area in self.areas:
            if area.name not in AREAS:
                raise ValueError(f"area {area.name!r} is not one of the CX areas {list(AREAS)}")
            for theme in area.themes:
                if theme.id in seen:
                    raise ValueError(f"theme {theme.id!r}: duplicate id (ids must be unique)")
                seen.add(theme.id)
                for language in LANGUAGES:
                    examples = [e for e in theme.examples.get(language) or [] if str(e).strip()]
                    if len(examples) < MIN_EXAMPLES:
                        raise ValueError(
                            f"theme {theme.id!r}: language {language!r} has {len(examples)} example(s), "
                            f"needs at least {MIN_EXAMPLES}"
                        )
        if not seen:
            raise ValueError("the catalogue lists no themes")
        return self

    @property
    def themes(self) -> list[CatalogueTheme]:
        """All themes in file order, each with its ``area`` set."""
        return [theme.model_copy(update={"area": area.name}) for area in self.areas for theme in area.themes]

    def examples(self) -> tuple[list[str], list[str], np.ndarray]:
        """Every example as parallel lists: texts, languages and theme index (into :attr:`themes`).

        Returns
        -------
        texts : list of str, length m
        languages : list of str, length m
        theme_index : ndarray of shape (m,), int
        """
        texts: list[str] = []
        languages: list[str] = []
        index: list[int] = []
        for i, theme in enumerate(self.themes):
            for language, items in theme.examples.items():
                for text in items:
                    if str(text).strip():
                        texts.append(str(text).strip())
                        languages.append(language)
                        index.append(i)
        return texts, languages, np.asarray(index, dtype=np.int64)


def _theme_at(data: Any, loc: tuple[Any, ...]) -> str | None:
    """The id of the theme a pydantic error location points into, if it points into one."""
    if len(loc) >= 4 and loc[0] == "areas" and loc[2] == "themes":
        try:
            theme = data["areas"][loc[1]]["themes"][loc[3]]
            return str(theme.get("id") or f"#{loc[3] + 1} of area {data['areas'][loc[1]].get('name')!r}")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
    return None


def _describe(error: ValidationError, data: Any) -> str:
    lines = []
    for item in error.errors():
        loc = tuple(item["loc"])
        theme = _theme_at(data, loc)
        where = f"theme {theme!r}, field {'.'.join(map(str, loc[4:])) or '(whole theme)'}" if theme else ""
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return "; ".join(lines)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read and validate a catalogue file: the shipped ``catalogue.yaml`` unless ``path`` is given.

    Raises
    ------
    InputError
        Naming the file and the theme at fault (a duplicate id, a language with too few examples,
        an unknown area or polarity).
    """
    file = Path(path) if path is not None else DEFAULT_CATALOGUE
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{file}: cannot read the theme catalogue ({exc})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{file}: the theme catalogue must be a mapping with an 'areas' list")
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{file}: {_describe(exc, data)}") from None


class TextEncoder(Protocol):
    """Anything with ``encode(texts) -> (n, d) array``, such as :class:`voc.embed.Embedder`."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _language_offsets(vectors: np.ndarray, languages: np.ndarray, theme_index: np.ndarray) -> dict[str, float]:
    """Per language: mean similarity of its examples of different themes, minus the mean over languages.

    This is the similarity a unit reaches to unrelated examples of its own language; languages where
    it is high would otherwise pass a shared threshold with sentences that match nothing.
    """
    background = {}
    for language in sorted(set(languages.tolist())):
        rows = np.flatnonzero(languages == language)
        sims = vectors[rows] @ vectors[rows].T
        different = theme_index[rows][:, None] != theme_index[rows][None, :]
        background[language] = float(sims[different].mean()) if different.any() else 0.0
    mean = float(np.mean(list(background.values())))
    return {language: value - mean for language, value in background.items()}


class CatalogueMatcher:
    """Zero-shot assignment of units to catalogue themes, fitted on the catalogue's examples.

    A unit's similarity to a theme is the mean cosine similarity to its ``top_k`` nearest examples
    of that theme, over the examples of every language, calibrated for the unit's language. The
    unit takes the best theme when that similarity reaches ``threshold`` and beats the runner-up
    theme by at least ``margin``; otherwise it stays unmatched (-1) and is left to clustering.

    Parameters
    ----------
    threshold : float
        Least (calibrated) similarity to take a theme. The defaults (threshold, margin, top_k,
        calibration) were chosen together on real airline tweets plus off-topic sentences in five
        languages, and checked on other sets and languages (``bench/catalogue_match.py``).
    margin : float
        Least lead of the best theme over the second best.
    top_k : int
        Nearest examples averaged per theme (1 = nearest example only).
    calibration : {"offset", "center", "none"}
        "offset": subtract the unit language's background offset from its scores (see the module
        docstring); "center": subtract each language's mean example vector from examples and units
        before comparing (a different scale: the threshold must be chosen again); "none": raw cosine.

    Attributes
    ----------
    theme_ids_ : list of str, length k
    example_vectors_ : ndarray of shape (m, d), L2-normalised (centred with "center")
    example_theme_ : ndarray of shape (m,), theme index of each example
    language_means_ : dict of str to ndarray of shape (d,)
    language_offsets_ : dict of str to float
    """

    def __init__(
        self,
        *,
        threshold: float = 0.8675,
        margin: float = 0.0025,
        top_k: int = 2,
        calibration: Calibration = "offset",
    ) -> None:
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        if calibration not in ("offset", "center", "none"):
            raise ValueError(f"calibration must be 'offset', 'center' or 'none', got {calibration!r}")
        self.threshold = threshold
        self.margin = margin
        self.top_k = top_k
        self.calibration = calibration

    def fit(self, catalogue: Catalogue, embedder: TextEncoder, *, cache_dir: Path | None = None) -> CatalogueMatcher:
        """Embed every catalogue example once (with the units' embedder) and keep the vectors.

        The vectors are cached on disk per model and example text in ``cache_dir`` (the settings'
        ``cache_dir``; as the taxonomy phrases are), so a night does not re-embed a thousand examples.
        """
        from voc.config import default_cache_dir
        from voc.impact.taxonomy import phrase_vectors

        texts, _, _ = catalogue.examples()
        vectors = phrase_vectors(texts, embedder, cache_dir=cache_dir or default_cache_dir())
        return self.fit_vectors(catalogue, vectors)

    def fit_vectors(self, catalogue: Catalogue, vectors: np.ndarray) -> CatalogueMatcher:
        """Fit on example vectors already computed, in the order of :meth:`Catalogue.examples`.

        Parameters
        ----------
        vectors : ndarray of shape (m, d)
        """
        texts, languages, theme_index = catalogue.examples()
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape[0] != len(texts):
            raise ValueError(f"got {vectors.shape[0]} vectors for {len(texts)} catalogue examples")
        vectors = _normalise(vectors)
        language_array = np.asarray(languages)
        self.theme_ids_ = [theme.id for theme in catalogue.themes]
        self.language_means_: dict[str, np.ndarray] = {
            language: vectors[language_array == language].mean(axis=0) for language in sorted(set(languages))
        }
        self.global_mean_: np.ndarray = np.mean(np.stack(list(self.language_means_.values())), axis=0)
        self.language_offsets_ = _language_offsets(vectors, language_array, theme_index)
        self.example_vectors_ = self._prepare(vectors, languages)
        self.example_theme_ = theme_index
        return self

    def _prepare(self, vectors: np.ndarray, languages: Sequence[str | None]) -> np.ndarray:
        vectors = _normalise(np.asarray(vectors, dtype=np.float32))
        if self.calibration != "center":
            return vectors
        means = np.stack([self.language_means_.get(str(language), self.global_mean_) for language in languages])
        return _normalise(vectors - means)

    def score(self, vectors: np.ndarray, languages: Sequence[str | None], *, batch_size: int = 2048) -> np.ndarray:
        """Similarity of every unit to every theme.

        Parameters
        ----------
        vectors : ndarray of shape (n, d)
            Unit embeddings from the same embedder (and mode) as :meth:`fit`.
        languages : sequence of str, length n
            Each unit's language; one the catalogue lacks is centred on the mean of all languages.

        Returns
        -------
        ndarray of shape (n, k)
        """
        if not hasattr(self, "example_vectors_"):
            raise RuntimeError("CatalogueMatcher is not fitted: call fit() first")
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(vectors) != len(languages):
            raise ValueError(f"got {len(vectors)} vectors and {len(languages)} languages")
        n_themes = len(self.theme_ids_)
        out = np.zeros((len(vectors), n_themes), dtype=np.float32)
        members = [np.flatnonzero(self.example_theme_ == t) for t in range(n_themes)]
        for start in range(0, len(vectors), batch_size):
            units = self._prepare(vectors[start : start + batch_size], languages[start : start + batch_size])
            sims = units @ self.example_vectors_.T
            for t, idx in enumerate(members):
                k = min(self.top_k, len(idx))
                nearest = np.partition(sims[:, idx], len(idx) - k, axis=1)[:, len(idx) - k :]
                out[start : start + len(units), t] = nearest.mean(axis=1)
        if self.calibration == "offset":
            out -= np.array([self.language_offsets_.get(str(language), 0.0) for language in languages])[:, None]
        return out

    def match(self, vectors: np.ndarray, languages: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
        """Best catalogue theme per unit, or -1 where no theme is close and clear enough.

        Returns
        -------
        theme_index : ndarray of shape (n,), int; index into ``theme_ids_`` or -1
        similarity : ndarray of shape (n,), float; the best theme's similarity (also for -1 rows)
        """
        scores = self.score(vectors, languages)
        if scores.shape[1] == 1:
            best = np.zeros(len(scores), dtype=np.int64)
            lead = np.full(len(scores), np.inf, dtype=np.float32)
        else:
            top2 = np.partition(scores, scores.shape[1] - 2, axis=1)[:, -2:]
            best = scores.argmax(axis=1)
            lead = top2[:, 1] - top2[:, 0]
        similarity = scores[np.arange(len(scores)), best]
        taken = (similarity >= self.threshold) & (lead >= self.margin)
        return np.where(taken, best, NO_MATCH), similarity


#: Columns :func:`match_units` returns, one row per unit.
MATCH_COLUMNS: Final[tuple[str, ...]] = (
    "unit_id",
    "catalogue_id",
    "catalogue_name",
    "catalogue_area",
    "catalogue_similarity",
)


def match_units(
    units: pd.DataFrame, vectors: np.ndarray, *, matcher: CatalogueMatcher, catalogue: Catalogue
) -> pd.DataFrame:
    """Catalogue theme of each unit, as a frame the theme step can join on ``unit_id``.

    Parameters
    ----------
    units : DataFrame with ``unit_id`` and ``language``, n rows
    vectors : ndarray of shape (n, d), the units' embeddings in row order
    matcher : a :class:`CatalogueMatcher` fitted on ``catalogue``

    Returns
    -------
    DataFrame with :data:`MATCH_COLUMNS`; ``catalogue_id``, ``catalogue_name`` and ``catalogue_area``
    are missing for a unit left to clustering. ``catalogue_similarity`` is the best theme's score.
    """
    missing = [c for c in ("unit_id", "language") if c not in units.columns]
    if missing:
        raise InputError(f"units: missing column(s) {missing} needed to match the theme catalogue")
    if len(units) != len(vectors):
        raise ValueError(f"got {len(vectors)} vectors for {len(units)} units")
    themes = catalogue.themes
    if [t.id for t in themes] != getattr(matcher, "theme_ids_", None):
        raise ValueError("the matcher was not fitted on this catalogue: call matcher.fit(catalogue, embedder)")
    index, similarity = matcher.match(vectors, units["language"].astype(str).tolist())

    def pick(attribute: str) -> list[str | None]:
        return [getattr(themes[i], attribute) if i != NO_MATCH else None for i in index]

    return pd.DataFrame(
        {
            "unit_id": units["unit_id"].to_numpy(),
            "catalogue_id": pick("id"),
            "catalogue_name": pick("name"),
            "catalogue_area": pick("area"),
            "catalogue_similarity": similarity.astype(float),
        },
        columns=list(MATCH_COLUMNS),
    )


def name_themes(
    theme_ids: np.ndarray,
    catalogue_index: np.ndarray,
    *,
    names: Sequence[str],
    min_share: float = 0.5,
    min_units: int = 5,
) -> dict[int, str]:
    """Catalogue names for the discovered themes most of whose units take one catalogue theme.

    A theme is named after the catalogue theme that at least ``min_share`` of *all* its units take
    (units the matcher leaves alone count against it), so a theme named "Late delivery" is mostly
    about late delivery, not a mix in which a few sentences happen to match. Measured on real
    feedback through the product's nights (``bench/themes_product.py`` stores, labels mapped onto the
    catalogue by hand in ``bench/catalogue_data.py``): at a share of 0.5, 3 of 32 airline and 6 of 37
    restaurant themes were named, every one of them rightly; at 0.3 three in four were right.

    Parameters
    ----------
    theme_ids : ndarray of int, shape (n,)
        Each unit's theme (-1 unassigned).
    catalogue_index : ndarray of int, shape (n,)
        Each unit's catalogue theme from :meth:`CatalogueMatcher.match` (``NO_MATCH`` = none).
    names : sequence of str
        Display name of each catalogue theme, in the matcher's order.
    min_share, min_units : float, int
        Share of a theme's units and fewest units needed to give it a catalogue name.

    Returns
    -------
    dict of theme id to catalogue name (themes without a clear match are left out).
    """
    theme_ids = np.asarray(theme_ids)
    catalogue_index = np.asarray(catalogue_index)
    if theme_ids.shape != catalogue_index.shape:
        raise ValueError(f"{len(theme_ids)} theme ids but {len(catalogue_index)} catalogue matches")
    named: dict[int, str] = {}
    for theme in np.unique(theme_ids[theme_ids >= 0]):
        members = catalogue_index[theme_ids == theme]
        matched = members[members != NO_MATCH]
        if len(members) < min_units or not len(matched):
            continue
        values, counts = np.unique(matched, return_counts=True)
        best = int(np.argmax(counts))
        if counts[best] / len(members) >= min_share:
            named[int(theme)] = names[int(values[best])]
    return named


def display_names(catalogue: Catalogue, *, language: str) -> list[str]:
    """Each catalogue theme's name in ``language`` (the English name where it has none)."""
    return [theme.names.get(language, theme.name) if language != "en" else theme.name for theme in catalogue.themes]
