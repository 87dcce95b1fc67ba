"""The night's counts, defined once: every place that shows one (report, summary, exports, artifacts,
``night.json``) takes it from here, so a reader never finds two values for one quantity.

Definitions
-----------
records
    Feedback records kept in the store up to the night (one per record id; duplicates and
    quarantined rows are not records).
mentions
    (record, theme) pairs: a record mentions a theme when at least one of its sentences is
    assigned to it. A theme's "records" are its mentions, counted once per record.
sentences
    Units (sentences) assigned to a theme.
themes
    Leaf themes of the registry that are active or emerging tonight. *Ranked* themes have a row in
    the priority list; *context* themes are mentioned almost only beside another theme and are
    not ranked on their own; *parent groups* are counted apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import pandas as pd

#: Theme statuses counted as live tonight.
LIVE_STATUSES: Final = frozenset({"active", "emerging"})

#: Plain-language names of theme events, leaf themes and parent groups apart.
EVENT_LABELS: Final[dict[str, str]] = {
    "birth": "New themes",
    "retire": "Retired themes",
    "merge": "Themes merged",
    "split": "Themes split",
    "rename": "Themes renamed",
    "delete": "Themes deleted",
}


def _levels(hierarchy: pd.DataFrame) -> pd.Series:
    level = hierarchy["level"] if "level" in hierarchy else pd.Series(1, index=hierarchy.index)
    return pd.to_numeric(level, errors="coerce").fillna(1).astype(int)


def theme_counts(hierarchy: pd.DataFrame, priorities: pd.DataFrame) -> dict[str, int]:
    """Themes tonight: live leaf themes, how many are ranked, context themes, parent groups.

    Parameters
    ----------
    hierarchy : DataFrame
        Leaf and parent themes with ``theme_id``, ``status`` and ``level`` (1 leaf, 2 parent).
    priorities : DataFrame
        The priority list (``theme_id``).

    Returns
    -------
    dict with ``n_themes``, ``n_ranked_themes``, ``n_context_themes``, ``n_emerging_themes`` and
    ``n_parent_themes``; ``n_themes = n_ranked_themes + n_context_themes``.
    """
    if hierarchy is None or hierarchy.empty:
        n_ranked = 0 if priorities is None or priorities.empty else int(priorities["theme_id"].nunique())
        return {
            "n_themes": n_ranked,
            "n_ranked_themes": n_ranked,
            "n_context_themes": 0,
            "n_emerging_themes": 0,
            "n_parent_themes": 0,
        }
    status = hierarchy["status"].astype(str) if "status" in hierarchy else pd.Series("active", index=hierarchy.index)
    live = status.isin(LIVE_STATUSES)
    levels = _levels(hierarchy)
    leaves = hierarchy.loc[live & (levels == 1)]
    ranked_ids = set() if priorities is None or priorities.empty else set(priorities["theme_id"].astype(int))
    ranked = leaves["theme_id"].astype(int).isin(ranked_ids)
    return {
        "n_themes": len(leaves),
        "n_ranked_themes": int(ranked.sum()),
        "n_context_themes": int((~ranked).sum()),
        "n_emerging_themes": int((status.loc[leaves.index] == "emerging").sum()),
        "n_parent_themes": int((live & (levels == 2)).sum()),
    }


def theme_changes(events: pd.DataFrame | None, hierarchy: pd.DataFrame) -> dict[str, int]:
    """Tonight's theme events by kind, leaf themes and parent groups counted apart.

    A birth of a leaf theme is a "new theme", a birth of a parent group a "new parent group", so
    that "new themes" minus "retired themes" is the change in :func:`theme_counts`' ``n_themes``.
    """
    if events is None or events.empty or "event" not in events:
        return {}
    levels = dict(zip(hierarchy["theme_id"].astype(int), _levels(hierarchy))) if not hierarchy.empty else {}
    is_parent = events["theme_id"].map(lambda t: levels.get(int(t), 1) == 2 if pd.notna(t) else False)
    found: dict[str, int] = {}
    for kind, label in EVENT_LABELS.items():
        chosen = events["event"].astype(str) == kind
        if not chosen.any():
            continue
        if (chosen & ~is_parent).any():
            found[label] = int((chosen & ~is_parent).sum())
        if (chosen & is_parent).any():
            found[label.replace("themes", "parent groups").replace("Themes", "Parent groups")] = int(
                (chosen & is_parent).sum()
            )
    return found


def night_counts(catalog: Mapping[str, Any]) -> dict[str, int]:
    """The counts a night reports (``night.json``, the flow's summary), from the night's catalogue."""

    def size(name: str) -> int:
        value = catalog.get(name)
        return 0 if value is None else int(len(value))

    hierarchy = catalog.get("theme_hierarchy")
    priorities = catalog.get("priorities")
    return {
        "n_new_records": size("new_records"),
        "n_records": size("records"),
        **theme_counts(
            hierarchy if hierarchy is not None else pd.DataFrame(),
            priorities if priorities is not None else pd.DataFrame(),
        ),
        "n_priorities": size("priorities"),
        "n_alerts": size("alerts"),
    }
