"""Reading and writing the theme registry in the store (tables of ``003_themes.sql``).

The registry is what makes a theme id mean the same thing every night: its rows outlive any one
fitted model. Everything here is plain I/O between DataFrames and DuckDB; the decisions (matching,
assignment, curation) live in :mod:`voc.themes.tracking` and :mod:`voc.themes.curation`.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
import pandas as pd

from voc.schemas import THEME_COLUMNS
from voc.store import Store

#: Columns of the ``themes`` table, in order.
REGISTRY_COLUMNS: Final[tuple[str, ...]] = (
    "theme_id",
    "kind",
    "generated_label",
    "custom_label",
    "parent_id",
    "model_status",
    "status",
    "merged_into",
    "split_from",
    "keywords",
    "verbatims",
    "centroid",
    "assign_threshold",
    "n_units",
    "n_records",
    "born_at",
    "born_run",
    "last_seen_run",
    "updated_at",
)

#: Columns of the ``unit_themes`` table, in order.
ASSIGNMENT_COLUMNS: Final[tuple[str, ...]] = (
    "unit_id",
    "record_id",
    "language",
    "text_hash",
    "model_theme_id",
    "theme_id",
    "similarity",
    "run_id",
)

EVENT_COLUMNS: Final[tuple[str, ...]] = ("run_id", "happened_at", "event", "theme_id", "other_ids", "detail")

#: Statuses shown in reports; merged, split and deleted themes live on only as aliases.
VISIBLE_STATUSES: Final[frozenset[str]] = frozenset({"active", "emerging", "retired"})


def empty_registry() -> pd.DataFrame:
    """A themes frame with no rows and the registry's dtypes."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in REGISTRY_COLUMNS})
    for column in ("theme_id", "parent_id", "merged_into", "split_from", "n_units", "n_records"):
        frame[column] = pd.Series(dtype="Int64")
    frame["assign_threshold"] = pd.Series(dtype=float)
    return frame


def normalise_registry(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a themes frame every registry column, nullable ints and id order."""
    out = frame.copy()
    for column in REGISTRY_COLUMNS:
        if column not in out.columns:
            out[column] = None
    for column in ("theme_id", "parent_id", "merged_into", "split_from", "n_units", "n_records"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
    out["assign_threshold"] = pd.to_numeric(out["assign_threshold"], errors="coerce").astype(float)
    return out[list(REGISTRY_COLUMNS)].sort_values("theme_id").reset_index(drop=True)


# -- model state ---------------------------------------------------------------------------------
def _encode(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        return {"__ndarray__": base64.b64encode(buffer.getvalue()).decode("ascii")}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__ndarray__"}:
            return np.load(io.BytesIO(base64.b64decode(value["__ndarray__"])), allow_pickle=False)
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def encode_state(state: dict[str, Any]) -> str:
    """JSON text of a model state; arrays become base64 ``.npy`` (no pickle, so loading is safe)."""
    return json.dumps(_encode(state))


def decode_state(text: str) -> dict[str, Any]:
    return _decode(json.loads(text))


@dataclass(frozen=True)
class StoredModel:
    """The latest fitted model's state as kept in ``theme_model_state``."""

    version: int
    run_id: str | None
    created_at: datetime
    model_id: str | None
    state: dict[str, Any]


def model_from_row(frame: pd.DataFrame) -> StoredModel | None:
    """The :class:`StoredModel` of a ``theme_model_state`` row (None for no row)."""
    if frame.empty:
        return None
    row = frame.iloc[0]
    return StoredModel(
        version=int(row["version"]),
        run_id=row["run_id"],
        created_at=pd.Timestamp(row["created_at"]).to_pydatetime(),
        model_id=row["model_id"] if isinstance(row["model_id"], str) else None,
        state=decode_state(row["state"]),
    )


def load_model_state(store: Store) -> StoredModel | None:
    return model_from_row(store.latest_theme_model())


def save_model_state(
    store: Store, state: dict[str, Any], *, run_id: str | None, at: datetime, model_id: str | None
) -> int:
    """Append a new model version (older ones stay for audit); returns its version."""
    return store.append_theme_model(run_id=run_id, at=at, model_id=model_id, state=encode_state(state))


# -- themes, assignments, events ---------------------------------------------------------------
def load_themes(store: Store) -> pd.DataFrame:
    return registry_from_rows(store.theme_rows())


def registry_from_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A registry frame from the ``themes`` table's rows (centroids as float32 arrays)."""
    if frame.empty:
        return empty_registry()
    frame = frame.copy()
    frame["centroid"] = [_vector(c) for c in frame["centroid"]]
    return normalise_registry(frame)


def _vector(value: Any) -> np.ndarray | None:
    """A stored FLOAT[] as an array; SQL NULL (None or pandas' NA) as None."""
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return None
    return np.asarray(value, dtype=np.float32)


def save_themes(store: Store, themes: pd.DataFrame) -> None:
    """Replace the whole registry (it holds hundreds of rows, not millions)."""
    with store.transaction():
        store.replace_theme_rows(registry_rows(themes))


def registry_rows(themes: pd.DataFrame) -> pd.DataFrame:
    """The ``themes`` table's rows of a registry frame (centroids as plain lists)."""
    frame = normalise_registry(themes)
    frame["centroid"] = [None if (v := _vector(c)) is None else v.tolist() for c in frame["centroid"]]
    return frame


def load_assignments(store: Store, unit_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Stored unit assignments, all of them or those of ``unit_ids``."""
    return store.unit_theme_rows(unit_ids)


def save_assignments(store: Store, assignments: pd.DataFrame) -> None:
    """Insert or replace the given units' assignments."""
    store.upsert_unit_themes(assignment_rows(assignments))


def assignment_rows(assignments: pd.DataFrame) -> pd.DataFrame:
    """``ASSIGNMENT_COLUMNS`` of ``assignments`` (missing ones as NULL), in the table's order."""
    frame = assignments.copy()
    for column in ASSIGNMENT_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    return frame[list(ASSIGNMENT_COLUMNS)]


def append_events(store: Store, events: pd.DataFrame) -> None:
    if events is not None and not events.empty:
        store.append_theme_events(events)


def load_events(store: Store) -> pd.DataFrame:
    return store.theme_event_rows()


def event_row(
    event: str,
    theme_id: int | None,
    *,
    run_id: str | None,
    at: datetime,
    other_ids: Sequence[int] = (),
    detail: str = "",
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "happened_at": at,
        "event": event,
        "theme_id": None if theme_id is None else int(theme_id),
        "other_ids": json.dumps([int(i) for i in other_ids]),
        "detail": detail,
    }


def next_theme_id(themes: pd.DataFrame) -> int:
    """Ids are never reused, so an old export never points at a different theme."""
    return 0 if themes.empty else int(themes["theme_id"].max()) + 1


def public_themes(themes: pd.DataFrame) -> pd.DataFrame:
    """The registry as ``THEME_COLUMNS`` (plus ``level``) for reports and exports.

    Merged, split and deleted themes are left out: their units already belong elsewhere (or to no
    theme), so showing them would count the same complaints twice.
    """
    frame = normalise_registry(themes)
    receivers = set(frame.loc[frame["status"].eq("merged"), "merged_into"].dropna().astype(int))
    frame = frame[frame["status"].isin(VISIBLE_STATUSES)].copy()
    frame["label"] = frame["custom_label"].where(frame["custom_label"].notna(), frame["generated_label"])
    labels = dict(zip(frame["theme_id"], frame["label"]))
    frame["parent_id"] = frame["parent_id"].where(frame["parent_id"].isin(list(labels)), pd.NA).astype("Int64")
    frame["parent_label"] = [labels.get(p) if pd.notna(p) else None for p in frame["parent_id"]]
    frame["curated"] = frame["custom_label"].notna() | frame["kind"].eq("split") | frame["theme_id"].isin(receivers)
    frame["level"] = np.where(frame["kind"].eq("parent"), 2, 1)
    frame["n_units"] = frame["n_units"].fillna(0).astype("int64")
    frame["n_records"] = frame["n_records"].fillna(0).astype("int64")
    return frame[list(THEME_COLUMNS) + ["level"]].reset_index(drop=True)
