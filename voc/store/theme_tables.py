"""SQL of the theme registry's tables (``003_themes.sql``): the only place these tables are queried.

The registry's meaning (dtypes, encoding of model states, which themes are visible) lives in
:mod:`voc.themes.registry`; this module only moves rows between DuckDB and DataFrames, so a
second backend needs only another implementation of these few methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

if TYPE_CHECKING:
    import duckdb


#: What an insert does with a row whose key exists: fail, keep the stored row, or replace it.
Conflict = Literal["error", "ignore", "replace"]


class ThemeTables:
    """Reads and writes of ``themes``, ``unit_themes``, ``theme_events``, ``theme_model_state`` and
    ``curation_edits``; mixed into :class:`voc.store.Store`."""

    # provided by Store
    @property
    def con(self) -> duckdb.DuckDBPyConnection:  # pragma: no cover
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:  # pragma: no cover
        raise NotImplementedError

    def insert(self, table: str, frame: pd.DataFrame, *, on_conflict: Conflict = "error") -> int:  # pragma: no cover
        raise NotImplementedError

    # -- model state ---------------------------------------------------------------------------
    def latest_theme_model(self) -> pd.DataFrame:
        """The newest ``theme_model_state`` row (no row before the first fit)."""
        return self.query("SELECT * FROM theme_model_state ORDER BY version DESC LIMIT 1")

    def append_theme_model(self, *, run_id: str | None, at: datetime, model_id: str | None, state: str) -> int:
        """Add a model version after the newest one (older ones stay for audit); returns its version."""
        version = int(self.query("SELECT coalesce(max(version), 0) AS v FROM theme_model_state")["v"].iloc[0]) + 1
        self.execute(
            "INSERT INTO theme_model_state (version, run_id, created_at, model_id, state) VALUES (?, ?, ?, ?, ?)",
            [version, run_id, at, model_id, state],
        )
        return version

    # -- registry, assignments, events ---------------------------------------------------------
    def theme_rows(self) -> pd.DataFrame:
        return self.query("SELECT * FROM themes ORDER BY theme_id")

    def replace_theme_rows(self, frame: pd.DataFrame) -> None:
        """Replace the whole registry (hundreds of rows, not millions); joins an open transaction."""
        self.execute("DELETE FROM themes")
        self.insert("themes", frame)

    def unit_theme_rows(self, unit_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Stored unit assignments, all of them or those of ``unit_ids``, by ``unit_id``."""
        if unit_ids is None:
            return self.query("SELECT * FROM unit_themes ORDER BY unit_id")
        view = pd.DataFrame({"unit_id": pd.Series(list(unit_ids), dtype=object)})
        self.con.register("_wanted_units", view)
        try:
            return self.query("SELECT t.* FROM unit_themes t JOIN _wanted_units w USING (unit_id) ORDER BY unit_id")
        finally:
            self.con.unregister("_wanted_units")

    def upsert_unit_themes(self, frame: pd.DataFrame) -> None:
        self.insert("unit_themes", frame, on_conflict="replace")

    def append_theme_events(self, events: pd.DataFrame) -> None:
        self.insert("theme_events", events)

    def theme_event_rows(self) -> pd.DataFrame:
        return self.query("SELECT * FROM theme_events ORDER BY happened_at, theme_id")

    def unit_text_rows(self) -> pd.DataFrame:
        """``unit_id``, ``text`` of every stored unit."""
        return self.query("SELECT unit_id, text FROM units")

    # -- curation edits ------------------------------------------------------------------------
    def curation_edit_rows(self) -> pd.DataFrame:
        return self.query("SELECT edit_id, edited_at, action, payload FROM curation_edits ORDER BY edit_id")

    def append_curation_edit(self, *, at: datetime, action: str, payload: str) -> int:
        """Add an edit after the newest one; returns its id."""
        edit_id = int(self.query("SELECT coalesce(max(edit_id), 0) AS e FROM curation_edits")["e"].iloc[0]) + 1
        self.execute(
            "INSERT INTO curation_edits (edit_id, edited_at, action, payload) VALUES (?, ?, ?, ?)",
            [edit_id, at, action, payload],
        )
        return edit_id

    def clear_curation_edits(self) -> None:
        self.execute("DELETE FROM curation_edits")
