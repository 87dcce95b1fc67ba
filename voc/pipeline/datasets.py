"""The catalogue's dataset classes over the DuckDB store (:class:`voc.store.Store`).

Each class loads and saves one kind of data with two methods, ``load()`` and ``save(data)``
(:class:`voc.pipeline.catalog.Dataset`). Another backend (Parquet files, PostgreSQL) is another
class with the same two methods registered under the same name in
:func:`voc.pipeline.catalog.nightly_catalog`; no step changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from voc.schemas import RECORD_COLUMNS
from voc.store import Store
from voc.store.warehouse import Conflict
from voc.themes.state import ThemeChanges, ThemeState, load_theme_state, save_theme_changes


class ReadOnlyError(TypeError):
    """A dataset that is only read (or only written) was asked to do the other."""


@dataclass(frozen=True)
class NightRows:
    """One night's rows of a per-night results table (``metrics``, ``priorities``, ``alerts``).

    The night travels with the rows so an empty night still replaces what a rerun left.
    """

    night: date
    rows: pd.DataFrame


class FeedbackTable:
    """``feedback``: loads every stored record (``RECORD_COLUMNS``); saves records offered tonight.

    Saving keeps only unseen records and new versions of edited ones (:meth:`Store.add_records`);
    :class:`RunRecords` reads back what this run stored.
    """

    def __init__(self, store: Store, *, run_id: str) -> None:
        self.store, self.run_id = store, run_id

    def load(self) -> pd.DataFrame:
        return self.store.get_records(RECORD_COLUMNS)

    def save(self, data: pd.DataFrame) -> None:
        self.store.add_records(data, run_id=self.run_id)

    def __repr__(self) -> str:
        return "FeedbackTable(feedback)"


class RunRecords:
    """The records this run stored: new ones, and new versions (``version`` > 1) of edited ones."""

    def __init__(self, store: Store, *, run_id: str) -> None:
        self.store, self.run_id = store, run_id

    def load(self) -> pd.DataFrame:
        return self.store.records_of_run(self.run_id, [*RECORD_COLUMNS, "version"])

    def save(self, data: Any) -> None:
        raise ReadOnlyError("new_records is read from `feedback`; save the records to `db.feedback`")


class QuarantineTable:
    """``quarantine``: the run's rejected rows (saving replaces an earlier attempt's)."""

    def __init__(self, store: Store, *, run_id: str) -> None:
        self.store, self.run_id = store, run_id

    def load(self) -> pd.DataFrame:
        return self.store.quarantine_of_run(self.run_id)

    def save(self, data: pd.DataFrame) -> None:
        self.store.replace_quarantine(self.run_id, data)


class LastRecordDate:
    """The date of the newest stored record (None when no record has a date)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self) -> date | None:
        return self.store.last_record_date()

    def save(self, data: Any) -> None:
        raise ReadOnlyError("last_record_date is computed from `feedback`")


class RunNight:
    """The night the run describes; saving a later decision moves the run's row in ``runs``."""

    def __init__(self, store: Store, *, run_id: str, night: date) -> None:
        self.store, self.run_id, self.night = store, run_id, night

    def load(self) -> date:
        return self.night

    def save(self, data: date) -> None:
        if data != self.night:
            self.store.move_run(self.run_id, data)
        self.night = data


class TableRows:
    """A table written by key (``units``, ``unit_scores``, ``record_scores``); loads every row."""

    def __init__(self, store: Store, table: str, *, on_conflict: Conflict) -> None:
        self.store, self.table, self.on_conflict = store, table, on_conflict

    def load(self) -> pd.DataFrame:
        return self.store.rows(self.table)

    def save(self, data: pd.DataFrame) -> None:
        self.store.insert(self.table, data, on_conflict=self.on_conflict)

    def __repr__(self) -> str:
        return f"TableRows({self.table})"


class NightTable:
    """A per-night results table: loads every night's rows; saves one night's (replacing a rerun's)."""

    def __init__(self, store: Store, table: str) -> None:
        self.store, self.table = store, table

    def load(self) -> pd.DataFrame:
        return self.store.rows(self.table)

    def save(self, data: NightRows) -> None:
        self.store.replace_night(self.table, data.night, data.rows)

    def __repr__(self) -> str:
        return f"NightTable({self.table})"


@dataclass(frozen=True)
class EmbeddingCache:
    """Vectors by text hash and model id, read and written while embedding (only missing texts are run)."""

    store: Store

    def lookup(self, hashes: list[str], model_id: str) -> dict[str, np.ndarray]:
        return self.store.get_embeddings(hashes, model_id)

    def put(self, hashes: list[str], vectors: np.ndarray, model_id: str) -> None:
        self.store.put_embeddings(hashes, vectors, model_id)

    def cached(self, hashes: list[str], model_id: str) -> set[str]:
        return self.store.cached_hashes(hashes, model_id)


class EmbeddingCacheTable:
    """``embeddings``: loads the cache's handle (the embed step reads and fills it as it goes)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self) -> EmbeddingCache:
        return EmbeddingCache(self.store)

    def save(self, data: Any) -> None:
        raise ReadOnlyError("the embedding cache is filled through its handle while embedding")


class ThemeRegistry:
    """``themes``, ``unit_themes``, ``theme_events``, ``theme_model_state``, ``curation_edits``.

    Loads a :class:`~voc.themes.state.ThemeState`; saves a :class:`~voc.themes.state.ThemeChanges`.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self) -> ThemeState:
        return load_theme_state(self.store)

    def save(self, data: ThemeChanges) -> None:
        save_theme_changes(self.store, data)

    def __repr__(self) -> str:
        return "ThemeRegistry(themes, unit_themes, theme_events, theme_model_state, curation_edits)"
