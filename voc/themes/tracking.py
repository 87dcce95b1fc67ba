"""Keeping theme ids stable: nightly assignment to known themes and matching after a refit.

Two moves keep a theme the same theme over time:

* **Nightly** (:func:`assign_night`): new units join the known theme with the nearest centroid when
  close enough; only what fits nowhere is clustered, and what forms there is born as *emerging*.
* **Refit** (:func:`refit_registry`): the model is refitted on all units; every old theme's centroid
  is recomputed *from its old members in the new space* (two fitted spaces are not comparable,
  the same sentences are) and old and new themes are paired by optimal matching
  (:func:`scipy.optimize.linear_sum_assignment`) on centroid cosine. Paired themes keep their id;
  unpaired new ones are births, unpaired old ones retire. Splits and merges are read off how the
  members moved.

All functions are pure: they take and return DataFrames/arrays and never touch the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from voc.schemas import UNASSIGNED_THEME
from voc.themes.crosslingual import normalise_rows
from voc.themes.registry import event_row, next_theme_id, normalise_registry

#: Centroid cosine two themes need to be called the same theme across a refit.
MATCH_THRESHOLD: Final = 0.75
#: Share of a theme's members that must come from one other theme to call it a split or merge.
LINEAGE_SHARE: Final = 0.5
#: Quantile of a theme's own members' similarities used as its joining threshold (see
#: :func:`calibrate_threshold`).
THRESHOLD_QUANTILE: Final = 0.05
#: An emerging theme needs at least this many units from at least two records.
EMERGING_MIN_UNITS: Final = 5

#: Themes whose centroid still attracts new units. Curated-away themes (merged, split, deleted)
#: keep attracting at model level, so their new units follow the analyst's edit.
ATTRACTING: Final[frozenset[str]] = frozenset({"active", "emerging"})


@dataclass
class Tracked:
    """Result of one tracking step.

    Attributes
    ----------
    themes : DataFrame
        The registry (``REGISTRY_COLUMNS``) after the step, before curation is replayed.
    model_theme_ids : ndarray of int, shape (n,)
        Model-level theme of each passed unit (-1 unassigned).
    similarity : ndarray of float, shape (n,)
        Cosine of each unit to that theme's centroid (to the nearest theme when unassigned).
    events : list of dict
        ``EVENT_COLUMNS`` rows.
    changed : set of int
        Themes whose labels must be (re)computed.
    """

    themes: pd.DataFrame
    model_theme_ids: np.ndarray
    similarity: np.ndarray
    events: list[dict[str, Any]] = field(default_factory=list)
    changed: set[int] = field(default_factory=set)


def member_centroids(vectors: np.ndarray, labels: np.ndarray, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Unit-length mean of each id's members.

    Returns
    -------
    centroids : ndarray, shape (len(ids), d); zero rows for ids without members
    counts : ndarray of int, shape (len(ids),)
    """
    centroids = np.zeros((len(ids), vectors.shape[1]), dtype=np.float32)
    counts = np.zeros(len(ids), dtype=np.int64)
    for row, theme in enumerate(ids):
        members = labels == theme
        counts[row] = int(members.sum())
        if counts[row]:
            centroids[row] = vectors[members].mean(axis=0)
    return normalise_rows(centroids), counts


def calibrate_threshold(member_similarity: np.ndarray, *, ceiling: float, base: float | None = None) -> float:
    """Cosine a new unit needs to join a theme.

    The model's own learned threshold (``base``, e.g. ``ThemeModel.threshold_``) when it has one,
    so a nightly unit joins exactly when the model would have put it there; otherwise a low
    quantile of the theme's members' similarities, since how tight a theme is depends on the
    embedding space. ``settings.assign_threshold`` (``ceiling``) stays an upper bound.
    """
    if base is not None and np.isfinite(base):
        return float(min(ceiling, base))
    if len(member_similarity) == 0:
        return float(ceiling)
    return float(min(ceiling, np.quantile(member_similarity, THRESHOLD_QUANTILE)))


def assign_nearest(vectors: np.ndarray, centroids: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centroid per row (-1 below that centroid's threshold) and the cosine.

    Parameters
    ----------
    vectors : (n, d) unit rows; centroids : (k, d) unit rows; thresholds : (k,)

    Returns
    -------
    index : (n,) int, -1 when unassigned; similarity : (n,) float, cosine to the nearest centroid
    """
    if len(centroids) == 0 or len(vectors) == 0:
        return np.full(len(vectors), -1, dtype=np.int64), np.zeros(len(vectors))
    sims = vectors @ centroids.T
    nearest = sims.argmax(axis=1)
    best = sims[np.arange(len(vectors)), nearest]
    return np.where(best >= thresholds[nearest], nearest, -1).astype(np.int64), best.astype(float)


def match_centroids(
    old: np.ndarray, new: np.ndarray, *, threshold: float = MATCH_THRESHOLD
) -> list[tuple[int, int, float]]:
    """Optimal one-to-one pairing of old and new centroids, keeping pairs above ``threshold``.

    Returns
    -------
    list of (old_row, new_row, cosine), ordered by new_row
    """
    if len(old) == 0 or len(new) == 0:
        return []
    sims = old @ new.T
    rows, cols = linear_sum_assignment(-sims)
    pairs = [(int(r), int(c), float(sims[r, c])) for r, c in zip(rows, cols) if sims[r, c] >= threshold]
    return sorted(pairs, key=lambda p: p[1])


def _new_theme(
    theme_id: int,
    *,
    kind: str,
    status: str,
    centroid: np.ndarray,
    threshold: float | None,
    run_id: str,
    now: datetime,
    **extra: Any,
) -> dict[str, Any]:
    row = {
        "theme_id": theme_id,
        "kind": kind,
        "model_status": status,
        "status": status,
        "centroid": np.asarray(centroid, dtype=np.float32),
        "assign_threshold": threshold,
        "born_at": now,
        "born_run": run_id,
        "last_seen_run": run_id,
        "updated_at": now,
    }
    row.update(extra)
    return row


def _old_centroids(themes: pd.DataFrame, vectors: np.ndarray, previous: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Ids of ``themes`` and their centroids recomputed from ``previous`` members in today's space.

    A theme without members among the passed units keeps its stored centroid when the dimension
    matches (it may come from an older space; better than nothing), else it cannot be matched.
    """
    ids = themes["theme_id"].astype(int).tolist()
    centroids, counts = member_centroids(vectors, previous, ids)
    keep = []
    for row, stored in enumerate(themes["centroid"]):
        if counts[row] == 0 and stored is not None and len(stored) == vectors.shape[1]:
            centroids[row] = normalise_rows(np.asarray(stored))
        keep.append(bool(np.any(centroids[row])))
    keep_arr = np.asarray(keep, dtype=bool)
    return [i for i, k in zip(ids, keep) if k], centroids[keep_arr] if len(ids) else centroids


def _lineage_events(
    previous: np.ndarray, current: np.ndarray, births: list[int], retired: list[int], *, run_id: str, now: datetime
) -> list[dict[str, Any]]:
    """Splits (a newborn drawn mostly from one old theme) and merges (a retiree absorbed by one theme)."""
    events = []
    for theme in births:
        came_from = previous[(current == theme) & (previous != UNASSIGNED_THEME)]
        if len(came_from):
            values, counts = np.unique(came_from, return_counts=True)
            top = int(values[counts.argmax()])
            if counts.max() / (current == theme).sum() >= LINEAGE_SHARE and top not in retired:
                events.append(
                    event_row("split", theme, run_id=run_id, at=now, other_ids=[top], detail=f"split off theme {top}")
                )
    for theme in retired:
        went_to = current[(previous == theme) & (current != UNASSIGNED_THEME)]
        if len(went_to):
            values, counts = np.unique(went_to, return_counts=True)
            top = int(values[counts.argmax()])
            if counts.max() / (previous == theme).sum() >= LINEAGE_SHARE:
                events.append(
                    event_row(
                        "merge", top, run_id=run_id, at=now, other_ids=[theme], detail=f"absorbed retired theme {theme}"
                    )
                )
    return events


def _track_level(
    old: pd.DataFrame,
    new_centroids: np.ndarray,
    new_sizes: np.ndarray,
    vectors: np.ndarray,
    previous: np.ndarray,
    *,
    start_id: int,
    match_threshold: float,
) -> tuple[dict[int, int], list[tuple[int, float]], list[int]]:
    """Pair one level's new clusters with old themes.

    Returns
    -------
    id_of : {new cluster row: theme id}
    matched : [(theme id, cosine)] of clusters that kept an old id
    retired : old theme ids left without a cluster
    """
    old_ids, old_centroids = _old_centroids(old, vectors, previous)
    pairs = match_centroids(old_centroids, new_centroids, threshold=match_threshold)
    id_of = {j: old_ids[i] for i, j, _ in pairs}
    matched = [(old_ids[i], s) for i, _, s in pairs]
    # newborns get ids biggest first, so the same input always numbers them the same way
    unmatched = sorted((j for j in range(len(new_centroids)) if j not in id_of), key=lambda j: (-int(new_sizes[j]), j))
    for offset, j in enumerate(unmatched):
        id_of[j] = start_id + offset
    paired = set(id_of.values())
    retired = [int(t) for t in old["theme_id"] if int(t) not in paired]
    return id_of, matched, retired


def refit_registry(
    themes: pd.DataFrame,
    model: Any,
    vectors: np.ndarray,
    previous: np.ndarray,
    previous_curated: np.ndarray,
    *,
    assign_ceiling: float,
    run_id: str,
    now: datetime,
    match_threshold: float = MATCH_THRESHOLD,
) -> Tracked:
    """Carry the registry over to a freshly fitted model.

    Parameters
    ----------
    themes : DataFrame
        The registry before the refit (``REGISTRY_COLUMNS``).
    model : ThemeModel
        Fitted on exactly the passed units: ``labels_`` (n,), ``centroids_`` (k, d), ``parents_`` (k,).
    vectors : ndarray, shape (n, d)
        The units in the model's corrected space (``model.correct(...)``), unit rows.
    previous : ndarray of int, shape (n,)
        Model-level theme of each unit before the refit (-1 unassigned or never seen).
    previous_curated : ndarray of int, shape (n,)
        Theme after curation before the refit; locates analysts' split themes in the new space.
    """
    themes = normalise_registry(themes)
    parent_before = {int(t): int(p) for t, p in zip(themes["theme_id"], themes["parent_id"]) if pd.notna(p)}
    previous_parent = np.array([parent_before.get(int(t), -1) for t in previous], dtype=np.int64)
    labels = np.asarray(model.labels_, dtype=np.int64)
    new_centroids = normalise_rows(np.asarray(model.centroids_))
    sizes = np.bincount(labels[labels >= 0], minlength=len(new_centroids))
    model_level = themes[themes["kind"].eq("theme") & themes["model_status"].isin(ATTRACTING)]
    id_of, matched, retired = _track_level(
        model_level,
        new_centroids,
        sizes,
        vectors,
        previous,
        start_id=next_theme_id(themes),
        match_threshold=match_threshold,
    )
    current = np.array([id_of[j] if j >= 0 else UNASSIGNED_THEME for j in labels], dtype=np.int64)
    events = [event_row("match", t, run_id=run_id, at=now, detail=f"cosine {s:.3f}") for t, s in matched]
    births = sorted(set(id_of.values()) - {t for t, _ in matched})
    events += [event_row("birth", t, run_id=run_id, at=now, detail="found at refit") for t in births]
    events += [event_row("retire", t, run_id=run_id, at=now, detail="no matching theme at refit") for t in retired]
    events += _lineage_events(previous, current, births, retired, run_id=run_id, now=now)

    rows = themes.set_index("theme_id", drop=False)
    records = {int(t): dict(r) for t, r in rows.iterrows()}
    for t in retired:
        records[t].update(model_status="retired", updated_at=now)
    for j, theme in id_of.items():
        member_sims = vectors[labels == j] @ new_centroids[j]
        threshold = calibrate_threshold(member_sims, ceiling=assign_ceiling, base=getattr(model, "threshold_", None))
        if theme in records:
            records[theme].update(
                model_status="active",
                centroid=new_centroids[j],
                assign_threshold=threshold,
                last_seen_run=run_id,
                updated_at=now,
            )
        else:
            records[theme] = _new_theme(
                theme,
                kind="theme",
                status="active",
                centroid=new_centroids[j],
                threshold=threshold,
                run_id=run_id,
                now=now,
            )
    _refresh_split_centroids(records, vectors, previous_curated)
    parents_events = _track_parents(
        records,
        model,
        id_of,
        vectors,
        current,
        previous_parent,
        run_id=run_id,
        now=now,
        match_threshold=match_threshold,
    )
    out = normalise_registry(pd.DataFrame(list(records.values())))
    similarity = _similarity_to_assigned(vectors, current, out)
    changed = set(out.loc[out["model_status"].isin(ATTRACTING) & ~out["kind"].eq("split"), "theme_id"].astype(int))
    return Tracked(out, current, similarity, events + parents_events, changed)


def _refresh_split_centroids(
    records: dict[int, dict[str, Any]], vectors: np.ndarray, previous_curated: np.ndarray
) -> None:
    """Move analysts' split themes into the new space via their members before the refit."""
    split_ids = [t for t, r in records.items() if r.get("kind") == "split"]
    centroids, counts = member_centroids(vectors, previous_curated, split_ids)
    for row, theme in enumerate(split_ids):
        if counts[row]:
            records[theme]["centroid"] = centroids[row]


def _track_parents(
    records: dict[int, dict[str, Any]],
    model: Any,
    id_of: dict[int, int],
    vectors: np.ndarray,
    current: np.ndarray,
    previous_parent: np.ndarray,
    *,
    run_id: str,
    now: datetime,
    match_threshold: float,
) -> list[dict[str, Any]]:
    """Second level: one parent theme per group of >= 2 model themes sharing ``parents_``.

    Parents are tracked like themes (matched on centroids recomputed from members), so a parent's
    id and any analyst's name for it persist too. Themes alone in their group get no parent.
    ``previous_parent`` (n,) is each unit's parent theme before the refit (-1 none).
    """
    parents = np.asarray(getattr(model, "parents_", np.full(len(id_of), -1)), dtype=np.int64)
    groups: dict[int, list[int]] = {}
    for j, p in enumerate(parents):
        if p >= 0:
            groups.setdefault(int(p), []).append(id_of[j])
    # a parent needs two children, and one parent over every theme groups nothing
    groups = {p: sorted(c) for p, c in groups.items() if len(c) >= 2 and len(c) < len(id_of)}
    for theme in records.values():
        if theme.get("kind") == "theme":
            theme["parent_id"] = None
    group_keys = sorted(groups, key=lambda p: groups[p][0])
    unit_parent = np.full(len(current), -1, dtype=np.int64)
    for row, p in enumerate(group_keys):
        unit_parent[np.isin(current, groups[p])] = row
    new_centroids, sizes = member_centroids(vectors, unit_parent, list(range(len(group_keys))))
    old_rows = [r for r in records.values() if r.get("kind") == "parent" and r.get("model_status") in ATTRACTING]
    old = (
        normalise_registry(pd.DataFrame(old_rows))
        if old_rows
        else normalise_registry(pd.DataFrame(columns=["theme_id"]))
    )
    start = max(records) + 1 if records else 0
    id_of_group, matched, retired = _track_level(
        old, new_centroids, sizes, vectors, previous_parent, start_id=start, match_threshold=match_threshold
    )
    events = []
    for row, p in enumerate(group_keys):
        parent_id = id_of_group[row]
        if parent_id in records:
            records[parent_id].update(
                model_status="active", centroid=new_centroids[row], last_seen_run=run_id, updated_at=now
            )
        else:
            records[parent_id] = _new_theme(
                parent_id,
                kind="parent",
                status="active",
                centroid=new_centroids[row],
                threshold=None,
                run_id=run_id,
                now=now,
            )
            events.append(
                event_row("birth", parent_id, run_id=run_id, at=now, other_ids=groups[p], detail="parent theme")
            )
        for child in groups[p]:
            records[child]["parent_id"] = parent_id
    for t in retired:
        records[t].update(model_status="retired", updated_at=now)
        events.append(event_row("retire", t, run_id=run_id, at=now, detail="parent theme no longer found"))
    return events


def _similarity_to_assigned(vectors: np.ndarray, assigned: np.ndarray, themes: pd.DataFrame) -> np.ndarray:
    """Cosine of each unit to its theme's centroid, or to the nearest theme when unassigned."""
    attracting = themes[themes["kind"].isin(["theme", "split"]) & themes["centroid"].notna()]
    if attracting.empty or len(vectors) == 0:
        return np.zeros(len(vectors))
    ids = attracting["theme_id"].astype(int).to_numpy()
    centroids = normalise_rows(np.vstack(attracting["centroid"].to_list()))
    sims = vectors @ centroids.T
    column = {t: i for i, t in enumerate(ids)}
    out = sims.max(axis=1).astype(float)
    for row, theme in enumerate(assigned):
        if theme in column:
            out[row] = float(sims[row, column[theme]])
    return out


def assign_night(
    themes: pd.DataFrame,
    vectors: np.ndarray,
    previous: np.ndarray,
    previous_similarity: np.ndarray,
    *,
    is_new: np.ndarray,
    discover: Callable[[np.ndarray], np.ndarray] | None,
    assign_ceiling: float,
    base_threshold: float | None = None,
    min_units: int = EMERGING_MIN_UNITS,
    run_id: str,
    now: datetime,
) -> Tracked:
    """Assign new units to known themes; cluster what fits nowhere into emerging themes.

    Parameters
    ----------
    themes : DataFrame
        The registry.
    vectors : ndarray, shape (n, d)
        All passed units in the current model's corrected space.
    previous : ndarray of int, shape (n,)
        Stored model-level theme of known units (ignored where ``is_new``).
    previous_similarity : ndarray of float, shape (n,)
    is_new : ndarray of bool, shape (n,)
        Units never assigned before.
    discover : callable(rows) -> labels, optional
        Clusters the units at positions ``rows`` (labels -1 for noise); None skips discovery.
    assign_ceiling : float
        ``settings.assign_threshold``.
    base_threshold : float, optional
        The fitted model's joining threshold; an emerging theme must be at least this coherent
        (median member similarity), so leftovers lumped together do not pass for a theme.
    min_units : int
        Smallest emerging theme.
    """
    themes = normalise_registry(themes)
    current = np.where(is_new, UNASSIGNED_THEME, previous).astype(np.int64)
    similarity = np.where(is_new, 0.0, previous_similarity).astype(float)
    candidates = themes[
        themes["kind"].eq("theme") & themes["model_status"].isin(ATTRACTING) & themes["centroid"].notna()
    ]
    ids = candidates["theme_id"].astype(int).to_numpy()
    centroids = (
        normalise_rows(np.vstack(candidates["centroid"].to_list())) if len(ids) else np.zeros((0, vectors.shape[1]))
    )
    thresholds = candidates["assign_threshold"].fillna(1.0).to_numpy(dtype=float)
    new_rows = np.flatnonzero(is_new)
    index, sims = assign_nearest(vectors[new_rows], centroids, thresholds)
    current[new_rows] = np.where(index >= 0, ids[np.maximum(index, 0)] if len(ids) else -1, UNASSIGNED_THEME)
    similarity[new_rows] = sims
    events: list[dict[str, Any]] = []
    changed: set[int] = set()
    records = {int(t): dict(r) for t, r in themes.set_index("theme_id", drop=False).iterrows()}
    for theme in set(current[new_rows].tolist()) - {UNASSIGNED_THEME}:
        records[theme].update(last_seen_run=run_id, updated_at=now)
    pool = np.flatnonzero(current == UNASSIGNED_THEME)
    if discover is not None and len(pool) >= 2 * min_units:
        labels = np.asarray(discover(pool), dtype=np.int64)
        next_id = next_theme_id(themes)
        clusters = [c for c in np.unique(labels) if c >= 0]
        # biggest first, so ids come out the same for the same input
        clusters.sort(key=lambda c: (-int((labels == c).sum()), int(c)))
        for cluster in clusters:
            rows = pool[labels == cluster]
            if len(rows) < min_units:
                continue
            centroid = normalise_rows(vectors[rows].mean(axis=0, keepdims=True))[0]
            member_sims = vectors[rows] @ centroid
            threshold = calibrate_threshold(member_sims, ceiling=assign_ceiling, base=base_threshold)
            if np.median(member_sims) < threshold:
                continue
            if len(ids):
                near = centroids @ centroid
                best = int(near.argmax())
                if near[best] >= thresholds[best]:
                    # a denser corner of a known theme, not a new theme
                    current[rows] = ids[best]
                    similarity[rows] = vectors[rows] @ centroids[best]
                    continue
            theme = next_id
            next_id += 1
            current[rows] = theme
            similarity[rows] = member_sims
            records[theme] = _new_theme(
                theme, kind="theme", status="emerging", centroid=centroid, threshold=threshold, run_id=run_id, now=now
            )
            events.append(
                event_row("birth", theme, run_id=run_id, at=now, detail=f"emerging from {len(rows)} unassigned units")
            )
            changed.add(theme)
    out = normalise_registry(pd.DataFrame(list(records.values()))) if records else themes
    return Tracked(out, current, similarity, events, changed)
