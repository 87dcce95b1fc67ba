"""The nightly themes step as four pure jobs over a loaded :class:`~voc.themes.state.ThemeState`.

1. :func:`fit_or_assign` refits the model when due, else assigns only new units, keeping theme ids
   stable (:mod:`voc.themes.tracking`);
2. :func:`curate` replays the analysts' edits (:mod:`voc.themes.curation`);
3. :func:`label` labels what changed (:mod:`voc.themes.labels`);
4. :func:`settle` hands later steps a :class:`ThemeUpdate` and the store a
   :class:`~voc.themes.state.ThemeChanges`.

None of them touches the store: the nightly pipeline loads the state and saves the changes through
its data catalogue, inside the night's one transaction, so a failed night leaves the registry as it
was. :func:`update_themes` runs all of it against a store in one call (scripts, tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from voc.config import ThemeSettings
from voc.schemas import UNASSIGNED_THEME
from voc.store import Store
from voc.themes.crosslingual import normalise_rows
from voc.themes.curation import load_edits, recount, replay_curation
from voc.themes.hierarchy import anchored_parents
from voc.themes.labels import describe_themes
from voc.themes.levels import (
    find_context_themes,
    rank_themes,
    ranked_units,
    record_themes,
    recount_ranked,
    standout_leaves,
)
from voc.themes.registry import (
    EVENT_COLUMNS,
    StoredModel,
    load_assignments,
    load_model_state,
    load_themes,
    normalise_registry,
    public_themes,
    save_assignments,
    save_themes,
)
from voc.themes.sampling import fit_on_sample
from voc.themes.state import ThemeChanges, ThemeState, load_theme_state, save_theme_changes
from voc.themes.tracking import EMERGING_MIN_UNITS, Tracked, assign_night, refit_registry

REQUIRED_UNIT_COLUMNS = ("unit_id", "record_id", "text", "language")


@dataclass
class ThemeUpdate:
    """What one night's themes step produced.

    Attributes
    ----------
    units : DataFrame
        One row per passed unit: ``unit_id``, ``record_id``, ``theme_id`` (-1 unassigned),
        ``theme_similarity`` (cosine to the theme's centroid; to the nearest theme when unassigned).
    themes : DataFrame
        ``THEME_COLUMNS`` plus ``level`` (1 theme, 2 parent theme); visible themes only
        (active, emerging, retired), ``label`` = the analyst's name, else the generated one.
    record_themes : DataFrame
        ``record_id``, ``theme_id``, ``is_primary``, ``n_units``: one row per (record, theme), one
        primary per record (most units, ties by mean similarity, then lowest id). Records without
        an assigned unit have no row.
    events : DataFrame
        ``EVENT_COLUMNS``: births, matches, retirements, splits and merges of this run.
    refitted : bool
        Whether the model was refitted this run.
    centroids : dict of int to ndarray, shape (d,)
        Unit-length centroid of each visible theme that has one (the report's theme map).
    """

    units: pd.DataFrame
    themes: pd.DataFrame
    record_themes: pd.DataFrame
    events: pd.DataFrame
    refitted: bool
    centroids: dict[int, np.ndarray] = field(default_factory=dict)


def _default_model_cls() -> type[Any]:
    from voc.themes.model import ThemeModel

    return ThemeModel


def _make_model(model_cls: type[Any], settings: ThemeSettings, **extra: Any) -> Any:
    return model_cls(
        min_theme_size=settings.min_theme_size,
        seed=settings.seed,
        merge_threshold=settings.merge_threshold,
        clusterer=settings.clusterer,
        analyst_themes=(settings.analyst_min_themes, settings.analyst_max_themes),
        **extra,
    )


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _check_units(units: pd.DataFrame, embeddings: np.ndarray) -> None:
    missing = [c for c in REQUIRED_UNIT_COLUMNS if c not in units.columns]
    if missing:
        raise ValueError(f"units lack column(s) {missing}; they have {list(units.columns)}")
    if len(units) != len(embeddings):
        raise ValueError(f"{len(units)} units but {len(embeddings)} embedding rows; they must align row by row")
    if units["unit_id"].duplicated().any():
        dupes = units.loc[units["unit_id"].duplicated(), "unit_id"].head(3).tolist()
        raise ValueError(f"unit_id must be unique; repeated: {dupes}")


def refit_due(stored: StoredModel | None, *, now: datetime, every_days: int, model_id: str | None) -> bool:
    """A refit is due without a model, after ``every_days``, or when the embedder changed."""
    if stored is None:
        return True
    if model_id is not None and stored.model_id is not None and stored.model_id != model_id:
        return True
    return _naive_utc(now) - stored.created_at >= timedelta(days=every_days)


@dataclass(frozen=True)
class ThemeFit:
    """The model's view of tonight's units, before the analysts' edits (step 1 of the themes step).

    Attributes
    ----------
    tracked : Tracked
        Registry, model-level theme and similarity of each unit, events, themes to relabel.
    vectors : ndarray, shape (n, d)
        The units in the model's corrected space (unit length).
    refitted : bool
        Whether the model was refitted tonight.
    model : StoredModel or None
        Tonight's fitted model (to store), None when the stored one was reused.
    is_new : ndarray of bool, shape (n,)
        Units no earlier night assigned.
    previous_runs : ndarray of object, shape (n,)
        The run that last assigned each unit (None for new units).
    zeroshot : dict of int to int
        Theme id -> catalogue issue of the themes tonight's refit took from the catalogue
        (``settings.zeroshot``); empty between refits and without zero-shot themes.
    previous : DataFrame or None
        ``model_theme_id``, ``theme_id`` and ``similarity`` each unit has in the store (n rows,
        NaN for new units): the night writes back only the assignments that differ.
    """

    tracked: Tracked
    vectors: np.ndarray
    refitted: bool
    model: StoredModel | None
    is_new: np.ndarray
    previous_runs: np.ndarray
    zeroshot: dict[int, int] = field(default_factory=dict)
    previous: pd.DataFrame | None = None


@dataclass(frozen=True)
class CuratedThemes:
    """The registry and the units' themes after every analyst's edit was replayed (step 2).

    Attributes
    ----------
    registry : DataFrame (``REGISTRY_COLUMNS``)
    theme_ids : ndarray of int, shape (n,)
        Each unit's theme after curation (-1 unassigned).
    similarity : ndarray of float, shape (n,)
        Cosine of each unit to its (curated) theme's centroid.
    """

    registry: pd.DataFrame
    theme_ids: np.ndarray
    similarity: np.ndarray


def fit_or_assign(
    state: ThemeState,
    units: pd.DataFrame,
    embeddings: np.ndarray,
    *,
    settings: ThemeSettings,
    run_id: str,
    now: datetime,
    refit: bool | None = None,
    model_id: str | None = None,
    model_cls: type[Any] | None = None,
    tone_directions: np.ndarray | None = None,
    anchors: np.ndarray | None = None,
) -> ThemeFit:
    """Refit the model when due, else assign only units never seen before; keep theme ids stable.

    Pure: the same state, units and embeddings give the same result (the model is seeded).

    Parameters
    ----------
    state : ThemeState
        The registry as the previous night left it.
    units : DataFrame
        At least ``unit_id``, ``record_id``, ``text``, ``language`` (n rows), all units of the
        history: a refit is fitted on all of them.
    embeddings : ndarray, shape (n, d)
        Raw embeddings of the units, row-aligned.
    settings : ThemeSettings
    run_id : str
    now : datetime
        The run's time (UTC); decides whether a refit is due.
    refit : bool, optional
        Force (True) or forbid (False) a refit; None refits when due (no model yet, every
        ``settings.refit_every_days`` days, or another embedder). Without a model it always fits.
    model_id : str, optional
        The embedder's ``model_id``, stored with the model.
    model_cls : type, optional
        The theme model class; :class:`voc.themes.model.ThemeModel` by default.
    tone_directions : ndarray, shape (r, d), optional
        Directions of tone in the embedding space (the night's sentiment head), projected out
        before a refit clusters, so themes gather what customers talk about rather than how they
        feel (``settings.erase_tone``). Saved with the model, so nightly assignment uses them too.
    anchors : ndarray of int, shape (n,), optional
        Each unit's issue in the catalogue of CX issues (-1 none). On a refit, themes most of whose
        units take one issue become one analyst-level group (:func:`voc.themes.hierarchy.anchored_parents`);
        the other themes are grouped from the data. With ``settings.zeroshot`` the refit also takes
        them as zero-shot themes (``anchors`` of :meth:`voc.themes.model.ThemeModel.fit`); between
        refits nothing changes, as those themes are centroids like the discovered ones.
    """
    _check_units(units, embeddings)
    units = units.reset_index(drop=True)
    embeddings = np.asarray(embeddings, dtype=np.float32)
    now = _naive_utc(now)
    model_cls = model_cls or _default_model_cls()
    languages = units["language"].fillna("und").astype(str).to_numpy()
    texts = units["text"].astype(str).tolist()

    stored, themes = state.model, state.registry
    previous = state.assignments.set_index("unit_id").reindex(units["unit_id"])
    is_new = previous["model_theme_id"].isna().to_numpy()
    prev_model = previous["model_theme_id"].fillna(UNASSIGNED_THEME).to_numpy(dtype=np.int64)
    prev_curated = previous["theme_id"].fillna(UNASSIGNED_THEME).to_numpy(dtype=np.int64)
    prev_sim = previous["similarity"].fillna(0.0).to_numpy(dtype=float)

    due = (
        refit_due(stored, now=now, every_days=settings.refit_every_days, model_id=model_id) if refit is None else refit
    )
    due = due or stored is None
    if due:
        extra = {} if tone_directions is None else {"erase_tone": np.atleast_2d(tone_directions)}
        model = fit_on_sample(  # above fit_sample_size: a stratified sample, the rest assigned in batches
            _make_model(model_cls, settings, **extra),
            embeddings,
            units=units,
            sample_size=settings.fit_sample_size,
            seed=settings.seed,
            batch_size=settings.assign_batch_size,
            anchors=anchors if settings.zeroshot else None,
        )
        vectors = normalise_rows(model.correct(embeddings, languages=languages), copy=False)
        if settings.anchor_parents and anchors is not None and len(getattr(model, "centroids_", ())):
            model.parents_ = anchored_parents(
                vectors,
                np.asarray(model.labels_),
                np.asarray(anchors),
                min_share=settings.catalogue_min_share,
                min_groups=settings.analyst_min_themes,
                max_groups=settings.analyst_max_themes,
                seed=settings.seed,
            )
        tracked = refit_registry(
            themes,
            model,
            vectors,
            prev_model,
            prev_curated,
            assign_ceiling=settings.assign_threshold,
            run_id=run_id,
            now=now,
        )
        fitted = StoredModel(version=0, run_id=run_id, created_at=now, model_id=model_id, state=model.get_state())
        zeroshot = zeroshot_themes(model, tracked.model_theme_ids)
    else:
        assert stored is not None  # a refit is always due without a stored model
        model = model_cls.from_state(stored.state)
        vectors = normalise_rows(model.correct(embeddings, languages=languages), copy=False)
        # leftovers the last refit judged noise are not clustered again, nor anything on a night with nothing new
        recent = (is_new | (previous["run_id"].to_numpy(dtype=object) != stored.run_id)) & bool(is_new.any())
        tracked = _assign_new_units(
            model,
            model_cls,
            themes,
            vectors,
            languages,
            texts,
            prev_model,
            prev_sim,
            is_new,
            settings,
            run_id,
            now,
            recent=recent,
        )
        fitted, zeroshot = None, {}
    return ThemeFit(
        tracked=tracked,
        vectors=vectors,
        refitted=bool(due),
        model=fitted,
        is_new=is_new,
        previous_runs=previous["run_id"].to_numpy(dtype=object),
        zeroshot=zeroshot,
        previous=previous[["model_theme_id", "theme_id", "similarity"]].reset_index(drop=True),
    )


def zeroshot_themes(model: Any, theme_ids: np.ndarray) -> dict[int, int]:
    """Theme id -> catalogue issue of each theme a refit built from the catalogue's matches.

    The model knows its zero-shot themes by its own numbering (``catalogue_``, one issue or -1 per
    model theme); the registry gives them ids of its own, so each is looked up through the ids its
    units took.

    Parameters
    ----------
    model : fitted theme model; ``labels_`` (n,) and, with zero-shot themes, ``catalogue_`` (k,)
    theme_ids : ndarray of int, shape (n,), each unit's registry theme after the refit (-1 none)
    """
    issues = getattr(model, "catalogue_", None)
    if issues is None:
        return {}
    labels = np.asarray(model.labels_)
    found: dict[int, int] = {}
    for theme in np.flatnonzero(np.asarray(issues) >= 0):
        ids = theme_ids[(labels == theme) & (theme_ids != UNASSIGNED_THEME)]
        if len(ids):
            values, counts = np.unique(ids, return_counts=True)
            found[int(values[counts.argmax()])] = int(issues[theme])
    return found


def _assign_new_units(
    model: Any,
    model_cls: type[Any],
    themes: pd.DataFrame,
    vectors: np.ndarray,
    languages: np.ndarray,
    texts: list[str],
    prev_model: np.ndarray,
    prev_sim: np.ndarray,
    is_new: np.ndarray,
    settings: ThemeSettings,
    run_id: str,
    now: datetime,
    recent: np.ndarray | None = None,
) -> Tracked:
    """A night between refits: new units join known themes; recent leftovers may form emerging ones."""
    # a new theme must be as big as the fitted model's smallest allowed theme, which grows
    # with the data, so a handful of leftovers in a large history does not make a theme
    min_units = max(EMERGING_MIN_UNITS, int(getattr(model, "min_size_", 0) or 0))

    def discover(pool: np.ndarray) -> np.ndarray:
        # Cluster the leftovers in tonight's aligned space with no alignment of their own:
        # centring a small pool that is mostly one new theme would erase that very theme.
        fresh = model_cls(
            min_theme_size=min_units, seed=settings.seed, merge_threshold=settings.merge_threshold, align="none"
        )
        labels, keep = (
            np.full(len(pool), UNASSIGNED_THEME),
            np.ones(len(pool), bool) if recent is None else recent[pool],
        )
        rows = pool[keep]
        if len(rows) < 2 * min_units:
            return labels
        try:
            fresh.fit(vectors[rows], languages=languages[rows], texts=[texts[i] for i in rows])
        except ValueError:  # too few units to find anything
            return labels
        labels[keep] = fresh.labels_
        return labels

    return assign_night(
        themes,
        vectors,
        prev_model,
        prev_sim,
        is_new=is_new,
        discover=discover,
        assign_ceiling=settings.assign_threshold,
        base_threshold=getattr(model, "threshold_", None),
        min_units=min_units,
        run_id=run_id,
        now=now,
    )


def curate(fit: ThemeFit, edits: Sequence[Mapping[str, Any]]) -> CuratedThemes:
    """Replay every analyst's edit; units moved by an edit get their similarity to the new theme."""
    tracked, vectors = fit.tracked, fit.vectors
    themes, theme_ids = replay_curation(tracked.themes, tracked.model_theme_ids, edits, vectors=vectors)
    similarity = tracked.similarity.copy()
    moved = np.flatnonzero((theme_ids != tracked.model_theme_ids) & (theme_ids != UNASSIGNED_THEME))
    if len(moved):
        centroids = {int(t): c for t, c in zip(themes["theme_id"], themes["centroid"]) if c is not None}
        for row in moved:
            centroid = centroids.get(int(theme_ids[row]))
            if centroid is not None:
                similarity[row] = float(vectors[row] @ normalise_rows(np.asarray(centroid)))
    return CuratedThemes(registry=themes, theme_ids=theme_ids, similarity=similarity)


def label(
    curated: CuratedThemes,
    fit: ThemeFit,
    units: pd.DataFrame,
    *,
    settings: ThemeSettings,
    language: str = "en",
    catalogue_names: Mapping[int, str] | None = None,
) -> pd.DataFrame:
    """(Re)label themes: all of them after a refit, else the new ones and those never labelled.

    Labels are in ``language`` (the report's) where a theme has enough units in it. A theme most of
    whose units match one issue of the CX catalogue carries that issue's name (``catalogue_names``,
    see :func:`voc.themes.catalogue.name_themes`); when several do, the largest keeps the plain name
    and the others add their own keyphrase after it. A parent never repeats the label of one of its
    own themes: it names what they share.

    Labels stay put between refits on purpose: a theme's name changing every night would make the
    report harder to follow than a slightly stale keyword list.

    Returns
    -------
    DataFrame, the curated registry with ``generated_label``, ``keywords``, ``verbatims`` set.
    """
    themes, theme_ids, similarity = curated.registry, curated.theme_ids, curated.similarity
    units = units.reset_index(drop=True)
    refitted, changed = fit.refitted, fit.tracked.changed
    unlabelled = set(themes.loc[themes["generated_label"].isna(), "theme_id"].astype(int))
    present = set(np.unique(theme_ids[theme_ids != UNASSIGNED_THEME]).tolist())
    wanted = present if refitted else present & (changed | unlabelled)
    leaf = describe_themes(
        units,
        theme_ids,
        similarity,
        only=sorted(wanted),
        n_keywords=settings.n_keywords,
        n_verbatims=settings.n_verbatims,
        language=language,
        max_units=settings.fit_sample_size,  # statistics from a sample where the fit took one
    )
    parent_of = {int(t): p for t, p in zip(themes["theme_id"], themes["parent_id"]) if pd.notna(p)}
    parent_ids = np.array([int(parent_of.get(int(t), UNASSIGNED_THEME)) for t in theme_ids], dtype=np.int64)
    parents = set(themes.loc[themes["kind"].eq("parent"), "theme_id"].astype(int))
    wanted_parents = (parents if refitted else parents & (unlabelled | changed)) & set(parent_ids.tolist())
    described = [leaf]
    if wanted_parents:
        # a parent's verbatims: its units ranked by the similarity to their own theme
        described.append(
            describe_themes(
                units,
                parent_ids,
                similarity,
                only=sorted(wanted_parents),
                n_keywords=settings.n_keywords,
                n_verbatims=settings.n_verbatims,
                language=language,
                avoid_labels=_leaf_labels(themes, leaf),
                max_units=settings.fit_sample_size,
            )
        )
    # catalogue names over both levels at once: the larger theme (a parent before its own leaf)
    # keeps the plain name, the others add their keyphrase
    sizes = np.concatenate([theme_ids, parent_ids])
    labels = _apply_catalogue_names(pd.concat(described, ignore_index=True), catalogue_names or {}, sizes)
    labels = labels.set_index("theme_id")
    themes = themes.set_index("theme_id", drop=False)
    common = labels.index.intersection(themes.index)
    for column in ("generated_label", "keywords", "verbatims"):
        themes.loc[common, column] = labels.loc[common, column].to_numpy()
    return normalise_registry(themes.reset_index(drop=True))


def _apply_catalogue_names(described: pd.DataFrame, names: Mapping[int, str], theme_ids: np.ndarray) -> pd.DataFrame:
    """Put catalogue names on the described themes that have one; larger themes keep a plain name."""
    if described.empty or not names:
        return described
    sizes = pd.Series(theme_ids[theme_ids != UNASSIGNED_THEME]).value_counts()
    out = described.copy()
    order = sorted((int(t) for t in out["theme_id"] if int(t) in names), key=lambda t: (-int(sizes.get(t, 0)), t))
    used: set[str] = set()
    position = {int(t): i for i, t in enumerate(out["theme_id"])}
    for theme in order:
        name = names[theme]
        row = position[theme]
        keyphrase = str(out.at[row, "generated_label"])
        out.at[row, "generated_label"] = name if name not in used else f"{name}: {keyphrase}"
        used.add(name)
    return out


def _leaf_labels(registry: pd.DataFrame, fresh: pd.DataFrame) -> list[str]:
    """Every leaf theme's label after tonight's labelling (fresh ones win over stored ones)."""
    stored = registry.loc[registry["kind"].ne("parent")].set_index("theme_id")["generated_label"]
    labels = {**stored.dropna().to_dict(), **fresh.set_index("theme_id")["generated_label"].dropna().to_dict()}
    return [str(label) for label in labels.values()]


def settle(
    labelled: pd.DataFrame,
    curated: CuratedThemes,
    fit: ThemeFit,
    units: pd.DataFrame,
    *,
    run_id: str,
    settings: ThemeSettings | None = None,
    unhappy: pd.Series | None = None,
) -> tuple[ThemeUpdate, ThemeChanges]:
    """What later steps read (:class:`ThemeUpdate`) and what the store keeps (:class:`ThemeChanges`).

    The store keeps every unit's leaf theme; later steps read the units at the ranked level
    (``settings.rank_level``, :mod:`voc.themes.levels`): context themes set aside, and, at the
    analyst level, leaves counted for their parent unless their customers are far unhappier
    than the rest of the parent's (``unhappy``: record id -> 1.0 unhappy, 0.0 not, NaN unrated).
    """
    settings = settings or ThemeSettings()
    units = units.reset_index(drop=True)
    theme_ids, similarity = curated.theme_ids, curated.similarity
    assignments = pd.DataFrame(
        {
            "unit_id": units["unit_id"],
            "record_id": units["record_id"],
            "language": units["language"].fillna("und").astype(str).to_numpy(),
            "text_hash": units["text_hash"] if "text_hash" in units.columns else None,
            "model_theme_id": fit.tracked.model_theme_ids,
            "theme_id": theme_ids,
            "similarity": similarity,
            "run_id": np.where(fit.is_new | fit.refitted, run_id, fit.previous_runs),
        }
    )
    registry = recount(labelled, assignments)
    events = pd.DataFrame(fit.tracked.events, columns=list(EVENT_COLUMNS))
    leaf_units = assignments[["unit_id", "record_id", "theme_id"]].assign(theme_similarity=similarity)
    if "unit_index" in units.columns:
        leaf_units["unit_index"] = units["unit_index"].to_numpy()
    context = find_context_themes(leaf_units, solo_ratio=settings.context_solo_ratio)
    visible, ranked_of = rank_themes(public_themes(registry), rank_level=settings.rank_level, context=context)
    # a group of themes can be context as a whole (a parent of purchase details): judged again
    # at the ranked level, its leaves join the context
    grouped_context = find_context_themes(ranked_units(leaf_units, ranked_of), solo_ratio=settings.context_solo_ratio)
    if grouped_context:
        context |= {leaf for leaf, ranked in ranked_of.items() if ranked in grouped_context}
        visible, ranked_of = rank_themes(public_themes(registry), rank_level=settings.rank_level, context=context)
    if settings.rank_level == "analyst" and unhappy is not None:
        promote = standout_leaves(leaf_units, ranked_of, unhappy)
        if promote:
            visible, ranked_of = rank_themes(
                public_themes(registry), rank_level=settings.rank_level, context=context, promote=promote
            )
    out_units = ranked_units(leaf_units, ranked_of)
    visible = recount_ranked(visible, leaf_units, out_units)
    update = ThemeUpdate(
        units=out_units,
        themes=visible,
        record_themes=record_themes(out_units),
        events=events,
        refitted=fit.refitted,
        centroids=theme_centroids(registry, only=visible["theme_id"]),
    )
    written = assignments[_changed_assignments(assignments, fit)]
    return update, ThemeChanges(registry=registry, assignments=written, events=events, model=fit.model)


def _changed_assignments(assignments: pd.DataFrame, fit: ThemeFit) -> np.ndarray:
    """Rows (n,) whose assignment the store does not hold yet: new units, all after a refit, and
    known units whose theme, model theme, similarity or run changed.

    Between refits most units keep what an earlier night stored; writing only the others keeps an
    increment's and a rerun's store writes to the new units (the whole table took about 15 s at
    300k units).
    """
    if fit.refitted or fit.previous is None:
        return np.ones(len(assignments), dtype=bool)
    before = fit.previous
    same = (
        ~fit.is_new
        & (assignments["model_theme_id"].to_numpy() == before["model_theme_id"].to_numpy())
        & (assignments["theme_id"].to_numpy() == before["theme_id"].to_numpy())
        & np.isclose(assignments["similarity"].to_numpy(dtype=float), before["similarity"].to_numpy(dtype=float))
        & (assignments["run_id"].to_numpy(dtype=object) == fit.previous_runs)
    )
    return ~same


def update_themes(
    store: Store,
    units: pd.DataFrame,
    embeddings: np.ndarray,
    *,
    settings: ThemeSettings,
    run_id: str,
    now: datetime,
    refit: bool | None = None,
    model_id: str | None = None,
    model_cls: type[Any] | None = None,
    anchors: np.ndarray | None = None,
) -> ThemeUpdate:
    """Load the registry, run the themes step's four jobs, store the result (one transaction).

    A convenience for scripts and the curation tests; the nightly pipeline runs the same jobs as
    nodes over the data catalogue. Options as :func:`fit_or_assign`.

    Returns
    -------
    ThemeUpdate
    """
    state = load_theme_state(store)
    fit = fit_or_assign(
        state,
        units,
        embeddings,
        settings=settings,
        run_id=run_id,
        now=now,
        refit=refit,
        model_id=model_id,
        model_cls=model_cls,
        anchors=anchors,
    )
    curated = curate(fit, state.edits)
    labelled = label(curated, fit, units, settings=settings)
    update, changes = settle(labelled, curated, fit, units, run_id=run_id, settings=settings)
    save_theme_changes(store, changes)
    return update


def split_theme_levels(theme_update: ThemeUpdate) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ranked themes (what is ranked and counted) and the whole two-level hierarchy (outputs).

    Ranked themes are one level of the hierarchy (:func:`voc.themes.levels.rank_themes`): ranking
    a parent beside its own children would count every mention twice.
    """
    hierarchy = theme_update.themes
    if "level" not in hierarchy.columns:
        hierarchy = hierarchy.assign(level=1)
    if "ranked" in hierarchy.columns:
        return hierarchy[hierarchy["ranked"]].reset_index(drop=True), hierarchy
    return hierarchy[hierarchy["level"] == 1].reset_index(drop=True), hierarchy


def theme_centroids(registry: pd.DataFrame, *, only: Iterable[int]) -> dict[int, np.ndarray]:
    """Unit-length centroid per theme id in ``only`` (themes without one are left out)."""
    wanted = {int(t) for t in only}
    return {
        int(t): normalise_rows(np.asarray(c, dtype=np.float32))
        for t, c in zip(registry["theme_id"], registry["centroid"])
        if int(t) in wanted and c is not None and len(c)
    }


# -- helpers for curation outside a run (CLI) -------------------------------------------------
def load_unit_vectors(
    store: Store, assignments: pd.DataFrame, *, model_cls: type[Any] | None = None, model_id: str | None = None
) -> np.ndarray:
    """Stored units' vectors in the current model's corrected space, in ``assignments`` order.

    Uses the embedding cache (by ``text_hash`` and the embedder id stored with the model, else
    ``model_id``, else the default embedder's), so no embedding model is run.

    Raises
    ------
    LookupError
        When there is no fitted model or a unit's embedding is not in the cache.
    """
    stored = load_model_state(store)
    if stored is None:
        raise LookupError("no theme model in the store yet: run the nightly pipeline first")
    if model_id is None and stored.model_id is None:
        from voc.embed import get_embedder

        model_id = get_embedder().model_id  # the default embedder, which the nightly run used
    model_id = model_id or stored.model_id
    assert model_id is not None
    hashes = assignments["text_hash"].tolist()
    found = store.get_embeddings([h for h in dict.fromkeys(hashes) if isinstance(h, str)], model_id)
    missing = [u for u, h in zip(assignments["unit_id"], hashes) if h not in found]
    if missing:
        raise LookupError(f"{len(missing)} units have no cached embedding for model {model_id!r} (e.g. {missing[:3]})")
    model = (model_cls or _default_model_cls()).from_state(stored.state)
    embeddings = np.vstack([found[h] for h in hashes])
    languages = assignments["language"].fillna("und").astype(str).to_numpy()
    return normalise_rows(model.correct(embeddings, languages=languages), copy=False)


def unit_texts(store: Store, assignments: pd.DataFrame) -> pd.DataFrame:
    """``record_id``, ``text``, ``language`` of stored units in ``assignments`` order ("" when unknown)."""
    texts = store.unit_text_rows()
    merged = assignments[["unit_id", "record_id", "language"]].merge(texts, on="unit_id", how="left")
    return merged.assign(text=merged["text"].fillna(""))


def describer(
    store: Store, settings: ThemeSettings | None = None
) -> Callable[[pd.DataFrame, np.ndarray, np.ndarray, list[int]], pd.DataFrame]:
    """A labelling function for :func:`voc.themes.curation.split_theme` backed by the store's texts."""
    settings = settings or ThemeSettings()

    def describe(
        assignments: pd.DataFrame, theme_ids: np.ndarray, similarity: np.ndarray, only: list[int]
    ) -> pd.DataFrame:
        frame = unit_texts(store, assignments)
        return describe_themes(
            frame, theme_ids, similarity, only=only, n_keywords=settings.n_keywords, n_verbatims=settings.n_verbatims
        )

    return describe


def reapply_curation(store: Store, *, model_cls: type[Any] | None = None) -> bool:
    """Replay all stored edits on the stored assignments now, without waiting for the next run.

    Used after importing curation. Splits need the units' vectors (from the embedding cache);
    when they cannot be had, nothing changes and the edits apply at the next run.

    Returns
    -------
    bool, whether the edits were applied.
    """
    themes, assignments, edits = load_themes(store), load_assignments(store), load_edits(store)
    vectors = None
    if len(assignments) and any(e["action"] == "split" for e in edits):
        try:
            vectors = load_unit_vectors(store, assignments, model_cls=model_cls)
        except LookupError:
            return False
    model_ids = assignments["model_theme_id"].to_numpy(dtype=np.int64) if len(assignments) else np.zeros(0, np.int64)
    curated, theme_ids = replay_curation(themes, model_ids, edits, vectors=vectors)
    assignments = assignments.assign(theme_id=theme_ids)
    curated = recount(curated, assignments)
    with store.transaction():
        save_themes(store, curated)
        if len(assignments):
            save_assignments(store, assignments)
    return True
