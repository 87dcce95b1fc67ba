"""Analysts' edits to themes: rename, merge, split, delete; stored, replayed, exported as YAML.

An edit is a row of ``curation_edits`` (action + JSON payload naming theme ids). Edits are never
baked into the model: each run starts from what the model and tracking decided
(``model_theme_id``, ``model_status``) and replays every edit in order with :func:`replay_curation`.
Because tracking keeps theme ids across refits, a rename stays on its theme, a merge is redone while
both themes exist, a split re-divides its theme and a deleted theme stays hidden.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import yaml

from voc.schemas import UNASSIGNED_THEME
from voc.store import Store
from voc.themes.registry import (
    append_events,
    event_row,
    load_assignments,
    load_themes,
    next_theme_id,
    normalise_registry,
    save_assignments,
    save_themes,
)

ACTIONS: Final[tuple[str, ...]] = ("rename", "merge", "split", "delete")
#: Statuses after which a theme can no longer take part in an edit.
_GONE: Final[frozenset[str]] = frozenset({"retired", "deleted", "merged", "split"})


class CurationError(ValueError):
    """An edit names a theme that does not exist or cannot take that edit."""


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# -- applying edits -------------------------------------------------------------------------------
def _rows(themes: pd.DataFrame) -> dict[int, int]:
    return {int(t): i for i, t in enumerate(themes["theme_id"])}


def resolve(themes: pd.DataFrame, theme_id: int) -> int:
    """Follow ``merged_into`` to the theme that finally holds ``theme_id``'s units."""
    rows = _rows(themes)
    seen = set()
    while theme_id in rows and theme_id not in seen:
        seen.add(theme_id)
        target = themes["merged_into"].iloc[rows[theme_id]]
        if pd.isna(target) or themes["status"].iloc[rows[theme_id]] != "merged":
            break
        theme_id = int(target)
    return theme_id


def _check(themes: pd.DataFrame, theme_id: int, action: str, *, strict: bool) -> bool:
    rows = _rows(themes)
    if theme_id not in rows:
        if strict:
            raise CurationError(f"{action}: no theme {theme_id} in the registry")
        return False
    status = themes["status"].iloc[rows[theme_id]]
    if status in _GONE:
        if strict:
            raise CurationError(f"{action}: theme {theme_id} is {status}")
        return False
    return True


def apply_edit(
    themes: pd.DataFrame,
    theme_ids: np.ndarray,
    edit: Mapping[str, Any],
    *,
    vectors: np.ndarray | None = None,
    strict: bool = False,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Apply one edit to the registry and the units' themes.

    Parameters
    ----------
    themes : DataFrame (``REGISTRY_COLUMNS``)
    theme_ids : ndarray of int, shape (n,)
        Each unit's current theme.
    edit : mapping
        ``{"action": ..., "payload": {...}}`` as stored in ``curation_edits``.
    vectors : ndarray, shape (n, d), optional
        Units in the model's corrected space; needed to re-divide a split theme's units.
    strict : bool
        Raise :class:`CurationError` when the edit cannot apply (interactive use); when replaying,
        an edit whose themes are gone is skipped instead.

    Returns
    -------
    (themes, theme_ids), both new objects.
    """
    themes = themes.copy()
    theme_ids = np.asarray(theme_ids, dtype=np.int64).copy()
    action, payload = edit["action"], edit["payload"]
    rows = _rows(themes)
    if action == "rename":
        theme = int(payload["theme_id"])
        if theme in rows:
            themes.loc[rows[theme], "custom_label"] = str(payload["name"])
        elif strict:
            raise CurationError(f"rename: no theme {theme} in the registry")
    elif action == "merge":
        source, target = int(payload["theme_id"]), resolve(themes, int(payload["into"]))
        if source == target:
            if strict:
                raise CurationError(f"merge: theme {source} cannot be merged into itself")
            return themes, theme_ids
        if not (_check(themes, source, "merge", strict=strict) and _check(themes, target, "merge", strict=strict)):
            return themes, theme_ids
        if (themes["kind"].iloc[rows[source]] == "parent") != (themes["kind"].iloc[rows[target]] == "parent"):
            if strict:
                raise CurationError(f"merge: theme {source} and {target} are on different levels of the hierarchy")
            return themes, theme_ids
        theme_ids[theme_ids == source] = target
        themes.loc[rows[source], ["status", "merged_into"]] = ["merged", target]
    elif action == "delete":
        theme = int(payload["theme_id"])
        if _check(themes, theme, "delete", strict=strict):
            theme_ids[theme_ids == theme] = UNASSIGNED_THEME
            themes.loc[rows[theme], "status"] = "deleted"
    elif action == "split":
        themes, theme_ids = _apply_split(themes, theme_ids, payload, vectors=vectors, strict=strict)
    else:
        raise CurationError(f"unknown curation action {action!r}; expected one of {ACTIONS}")
    return themes, theme_ids


def _apply_split(
    themes: pd.DataFrame, theme_ids: np.ndarray, payload: Mapping[str, Any], *, vectors: np.ndarray | None, strict: bool
) -> tuple[pd.DataFrame, np.ndarray]:
    """Give each unit of the split theme to the nearest of its sub-themes' centroids."""
    theme, children = int(payload["theme_id"]), [int(c) for c in payload["children"]]
    rows = _rows(themes)
    usable = _check(themes, theme, "split", strict=strict) and all(c in rows for c in children)
    if not usable or vectors is None:
        if strict and vectors is None:
            raise CurationError(f"split: the units' vectors are needed to split theme {theme}")
        return themes, theme_ids
    centroids = np.vstack([np.asarray(themes["centroid"].iloc[rows[c]], dtype=np.float32) for c in children])
    members = np.flatnonzero(theme_ids == theme)
    if len(members):
        nearest = (vectors[members] @ centroids.T).argmax(axis=1)
        theme_ids[members] = np.asarray(children)[nearest]
    themes.loc[rows[theme], "status"] = "split"
    for child in children:
        themes.loc[rows[child], "status"] = "active"
    return themes, theme_ids


def replay_curation(
    themes: pd.DataFrame,
    model_theme_ids: np.ndarray,
    edits: Sequence[Mapping[str, Any]],
    *,
    vectors: np.ndarray | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Start from the model's view and apply every edit in order.

    Analysts' split themes exist only while their split applies, so they start as retired.

    Returns
    -------
    (themes with ``status``, ``custom_label``, ``merged_into`` set; theme_ids (n,) after curation)
    """
    themes = normalise_registry(themes)
    themes["status"] = np.where(themes["kind"].eq("split"), "retired", themes["model_status"])
    # sub-themes sit under whatever parent their theme has tonight
    parent_of = dict(zip(themes["theme_id"], themes["parent_id"]))
    is_split = themes["kind"].eq("split")
    themes.loc[is_split, "parent_id"] = [parent_of.get(t, pd.NA) for t in themes.loc[is_split, "split_from"]]
    themes["parent_id"] = themes["parent_id"].astype("Int64")
    themes["custom_label"] = None
    themes["merged_into"] = pd.array([pd.NA] * len(themes), dtype="Int64")
    theme_ids = np.asarray(model_theme_ids, dtype=np.int64).copy()
    for edit in edits:
        themes, theme_ids = apply_edit(themes, theme_ids, edit, vectors=vectors)
    return themes, theme_ids


# -- the edit log -----------------------------------------------------------------------------
def load_edits(store: Store) -> list[dict[str, Any]]:
    return edits_from_rows(store.curation_edit_rows())


def edits_from_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Edits (``edit_id``, ``at``, ``action``, ``payload``) from ``curation_edits`` rows, in order."""
    return [
        {"edit_id": int(r.edit_id), "at": r.edited_at, "action": r.action, "payload": json.loads(r.payload)}
        for r in frame.itertuples(index=False)
    ]


def record_edit(store: Store, action: str, payload: Mapping[str, Any], *, at: datetime | None = None) -> int:
    if action not in ACTIONS:
        raise CurationError(f"unknown curation action {action!r}; expected one of {ACTIONS}")
    return store.append_curation_edit(
        at=at or _utcnow(), action=action, payload=json.dumps(dict(payload), ensure_ascii=False)
    )


def _commit_edit(
    store: Store,
    action: str,
    payload: Mapping[str, Any],
    *,
    vectors: np.ndarray | None = None,
    themes: pd.DataFrame | None = None,
    detail: str = "",
) -> pd.DataFrame:
    """Check the edit against the stored registry, apply it, store all of it in one transaction."""
    themes = load_themes(store) if themes is None else themes
    assignments = load_assignments(store)
    current = assignments["theme_id"].to_numpy(dtype=np.int64) if len(assignments) else np.zeros(0, np.int64)
    edit = {"action": action, "payload": dict(payload)}
    themes, current = apply_edit(themes, current, edit, vectors=vectors, strict=True)
    now = _utcnow()
    themes = recount(themes, assignments.assign(theme_id=current))
    others = [int(payload[k]) for k in ("into",) if k in payload] + [int(c) for c in payload.get("children", [])]
    with store.transaction():
        record_edit(store, action, payload, at=now)
        save_themes(store, themes)
        if len(assignments):
            save_assignments(store, assignments.assign(theme_id=current))
        append_events(
            store,
            pd.DataFrame(
                [event_row(action, int(payload["theme_id"]), run_id=None, at=now, other_ids=others, detail=detail)]
            ),
        )
    return themes


def recount(themes: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """Set ``n_units`` and ``n_records`` from the units' themes (parents: over their children)."""
    themes = normalise_registry(themes)
    assigned = assignments[assignments["theme_id"] != UNASSIGNED_THEME]
    units = assigned.groupby("theme_id").size()
    records = assigned.groupby("theme_id")["record_id"].nunique()
    parent_of = dict(zip(themes["theme_id"].astype(int), themes["parent_id"]))
    # a merged theme's parent: the parent its units now sit under
    by_parent = assigned.assign(parent=[parent_of.get(int(t)) for t in assigned["theme_id"]]).dropna(subset=["parent"])
    parent_units = by_parent.groupby("parent").size()
    parent_records = by_parent.groupby("parent")["record_id"].nunique()
    is_parent = themes["kind"].eq("parent").to_numpy()
    ids = themes["theme_id"].astype(int)
    themes["n_units"] = np.where(is_parent, ids.map(parent_units).fillna(0), ids.map(units).fillna(0)).astype("int64")
    themes["n_records"] = np.where(is_parent, ids.map(parent_records).fillna(0), ids.map(records).fillna(0)).astype(
        "int64"
    )
    return normalise_registry(themes)


# -- the four edits ---------------------------------------------------------------------------
def rename_theme(store: Store, theme_id: int, name: str) -> pd.DataFrame:
    """Give a theme the analyst's name (kept across every later run and refit)."""
    if not name.strip():
        raise CurationError("rename: the new name is empty")
    return _commit_edit(store, "rename", {"theme_id": int(theme_id), "name": name.strip()}, detail=name.strip())


def merge_themes(store: Store, theme_id: int, into: int) -> pd.DataFrame:
    """Merge theme ``theme_id`` into ``into``: its units move, it stays as an alias."""
    return _commit_edit(store, "merge", {"theme_id": int(theme_id), "into": int(into)}, detail=f"into {into}")


def delete_theme(store: Store, theme_id: int) -> pd.DataFrame:
    """Hide a theme (noise, off-topic): its units become unassigned, now and after refits."""
    return _commit_edit(store, "delete", {"theme_id": int(theme_id)})


def split_theme(
    store: Store,
    theme_id: int,
    *,
    k: int = 2,
    vectors_for: Callable[[pd.DataFrame], np.ndarray],
    describe: Callable[[pd.DataFrame, np.ndarray, np.ndarray, list[int]], pd.DataFrame] | None = None,
    seed: int = 42,
) -> list[int]:
    """Split a theme into ``k`` sub-themes by re-clustering its units' vectors.

    Parameters
    ----------
    vectors_for : callable(assignments) -> ndarray (n, d)
        The stored units' vectors in the current model's corrected space, in ``assignments`` order.
    describe : callable(assignments, theme_ids, similarity, only) -> DataFrame, optional
        Labels the new sub-themes (``theme_id, generated_label, keywords, verbatims``).

    Returns
    -------
    list of int, the sub-themes' ids.
    """
    from sklearn.cluster import KMeans

    if k < 2:
        raise CurationError(f"split: k must be at least 2, got {k}")
    themes = load_themes(store)
    _check(themes, int(theme_id), "split", strict=True)
    row = _rows(themes)[int(theme_id)]
    if themes["kind"].iloc[row] == "parent":
        raise CurationError(f"split: theme {theme_id} is a parent theme; split one of its themes instead")
    assignments = load_assignments(store)
    members = np.flatnonzero(assignments["theme_id"].to_numpy() == int(theme_id))
    if len(members) < 2 * k:
        raise CurationError(f"split: theme {theme_id} has {len(members)} units, too few for {k} sub-themes")
    vectors = np.asarray(vectors_for(assignments), dtype=np.float32)
    km = KMeans(n_clusters=k, random_state=seed, n_init=10).fit(vectors[members])
    centroids = km.cluster_centers_ / np.linalg.norm(km.cluster_centers_, axis=1, keepdims=True)
    # sub-themes numbered biggest first
    order = np.argsort(-np.bincount(km.labels_, minlength=k), kind="stable")
    first = next_theme_id(themes)
    children = [first + i for i in range(k)]
    now = _utcnow()
    parent = themes.iloc[row]
    new_rows = pd.DataFrame(
        [
            {
                "theme_id": child,
                "kind": "split",
                "generated_label": f"{parent['generated_label']} ({i + 1})",
                "parent_id": parent["parent_id"],
                "model_status": "active",
                "status": "active",
                "split_from": int(theme_id),
                "centroid": centroids[order[i]].astype(np.float32),
                "assign_threshold": parent["assign_threshold"],
                "born_at": now,
                "updated_at": now,
            }
            for i, child in enumerate(children)
        ]
    )
    themes = normalise_registry(pd.concat([themes, new_rows], ignore_index=True))
    if describe is not None:
        _, provisional = apply_edit(
            themes,
            assignments["theme_id"].to_numpy(),
            {"action": "split", "payload": {"theme_id": int(theme_id), "children": children}},
            vectors=vectors,
        )
        sims = np.einsum(
            "ij,ij->i", vectors, np.vstack([_centroid_of(themes, t, vectors.shape[1]) for t in provisional])
        )
        labels = describe(assignments, provisional, sims, children)
        themes = _set_labels(themes, labels)
    _commit_edit(
        store,
        "split",
        {"theme_id": int(theme_id), "k": k, "children": children},
        vectors=vectors,
        themes=themes,
        detail=f"into {children}",
    )
    return children


def _centroid_of(themes: pd.DataFrame, theme: int, dim: int) -> np.ndarray:
    rows = _rows(themes)
    if theme in rows and themes["centroid"].iloc[rows[theme]] is not None:
        return np.asarray(themes["centroid"].iloc[rows[theme]], dtype=np.float32)
    return np.zeros(dim, dtype=np.float32)


def _set_labels(themes: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    themes = themes.set_index("theme_id", drop=False)
    for row in labels.itertuples(index=False):
        if row.theme_id in themes.index:
            themes.loc[row.theme_id, ["generated_label", "keywords", "verbatims"]] = [
                row.generated_label,
                row.keywords,
                row.verbatims,
            ]
    return normalise_registry(themes.reset_index(drop=True))


# -- YAML -----------------------------------------------------------------------------------------
def export_curation(store: Store, path: str | Path) -> Path:
    """Write every edit, and the split sub-themes they need, to a YAML file.

    The file is the analysts' work in a form that can be reviewed, versioned and loaded into
    another store (:func:`import_curation`).
    """
    themes = load_themes(store)
    splits = themes[themes["kind"].eq("split")]
    document = {
        "version": 1,
        "edits": [
            {"action": e["action"], "at": pd.Timestamp(e["at"]).isoformat(), **e["payload"]} for e in load_edits(store)
        ],
        "split_themes": [
            {
                "theme_id": int(r.theme_id),
                "split_from": int(r.split_from),
                "generated_label": r.generated_label,
                "centroid": [round(float(x), 7) for x in r.centroid],
            }
            for r in splits.itertuples(index=False)
        ],
    }
    path = Path(path)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def import_curation(store: Store, path: str | Path, *, replace: bool = True) -> int:
    """Load edits written by :func:`export_curation`.

    They apply at the next run, or at once with :func:`voc.themes.pipeline.reapply_curation`.

    Parameters
    ----------
    replace : bool
        Drop the store's own edits first (the file is the truth), else append the file's edits.

    Returns
    -------
    int, the number of edits loaded.

    Raises
    ------
    CurationError
        Naming the file and the entry when an entry is malformed.
    """
    path = Path(path)
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict) or not isinstance(document.get("edits", []), list):
        raise CurationError(f"{path}: expected a mapping with an `edits` list")
    edits = []
    for number, entry in enumerate(document.get("edits", []), start=1):
        if not isinstance(entry, dict) or entry.get("action") not in ACTIONS or "theme_id" not in entry:
            raise CurationError(
                f"{path}: edit {number} needs `action` (one of {ACTIONS}) and `theme_id`, got {entry!r}"
            )
        entry = dict(entry)
        action, at = entry.pop("action"), entry.pop("at", None)
        required = {"rename": "name", "merge": "into", "split": "children"}.get(action)
        if required and required not in entry:
            raise CurationError(f"{path}: edit {number} ({action}) needs `{required}`")
        edits.append((action, entry, pd.Timestamp(at).to_pydatetime() if at else _utcnow()))
    themes = load_themes(store)
    split_rows = []
    for entry in document.get("split_themes", []) or []:
        if int(entry["theme_id"]) not in set(themes["theme_id"].astype(int)):
            split_rows.append(
                {
                    "theme_id": int(entry["theme_id"]),
                    "kind": "split",
                    "generated_label": entry.get("generated_label"),
                    "model_status": "active",
                    "status": "retired",
                    "split_from": int(entry["split_from"]),
                    "centroid": np.asarray(entry["centroid"], dtype=np.float32),
                    "born_at": _utcnow(),
                }
            )
    with store.transaction():
        if replace:
            store.clear_curation_edits()
        for action, payload, at in edits:
            record_edit(store, action, payload, at=at)
        if split_rows:
            save_themes(store, pd.concat([themes, pd.DataFrame(split_rows)], ignore_index=True))
    return len(edits)
