"""What the themes step reads before a night and writes after it, as two typed objects.

The nightly themes step is pure (:mod:`voc.themes.pipeline`): it receives a :class:`ThemeState`
and hands back a :class:`ThemeChanges`. Only :func:`load_theme_state` and
:func:`save_theme_changes` touch the store; the data catalogue (:mod:`voc.pipeline.catalog`) calls
them for the ``theme_state`` and ``theme_changes`` entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from voc.store import Store
from voc.themes.curation import edits_from_rows
from voc.themes.registry import (
    EVENT_COLUMNS,
    StoredModel,
    append_events,
    assignment_rows,
    load_model_state,
    load_themes,
    save_assignments,
    save_model_state,
    save_themes,
)


@dataclass(frozen=True)
class ThemeState:
    """The registry as the previous night left it.

    Attributes
    ----------
    model : StoredModel or None
        The newest fitted model (None before the first fit).
    registry : DataFrame
        ``REGISTRY_COLUMNS``, one row per theme ever born (aliases included).
    assignments : DataFrame
        ``ASSIGNMENT_COLUMNS``, one row per unit ever assigned.
    edits : list of dict
        The analysts' edits in order (``edit_id``, ``at``, ``action``, ``payload``).
    """

    model: StoredModel | None
    registry: pd.DataFrame
    assignments: pd.DataFrame
    edits: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ThemeChanges:
    """What one night changes in the registry.

    Attributes
    ----------
    registry : DataFrame
        The whole registry after the night (replaces the stored one).
    assignments : DataFrame
        The night's units' assignments (inserted or replaced by ``unit_id``).
    events : DataFrame
        ``EVENT_COLUMNS`` rows appended to the registry's history.
    model : StoredModel or None
        A model fitted tonight, appended as the next version (its ``version`` is ignored); None
        when the stored model was reused.
    """

    registry: pd.DataFrame
    assignments: pd.DataFrame
    events: pd.DataFrame
    model: StoredModel | None = None


def load_theme_state(store: Store) -> ThemeState:
    """Read the model, the registry, every assignment and every edit."""
    return ThemeState(
        model=load_model_state(store),
        registry=load_themes(store),
        assignments=assignment_rows(store.unit_theme_rows()),
        edits=edits_from_rows(store.curation_edit_rows()),
    )


def save_theme_changes(store: Store, changes: ThemeChanges) -> None:
    """Write a night's changes in one transaction (joining the night's own when one is open)."""
    with store.transaction():
        save_themes(store, changes.registry)
        save_assignments(store, changes.assignments)
        append_events(store, changes.events)
        if changes.model is not None:
            model = changes.model
            save_model_state(store, model.state, run_id=model.run_id, at=model.created_at, model_id=model.model_id)


def no_events() -> pd.DataFrame:
    return pd.DataFrame(columns=list(EVENT_COLUMNS))
