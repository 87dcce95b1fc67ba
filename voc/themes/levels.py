"""The level themes are ranked at, and which themes are context rather than issues.

The theme model finds fine-grained themes (the leaves) and groups them into parents. What an
analyst acts on is neither all leaves (on the shipped demo, 150 fragments of 13 issues) nor a
fixed number of groups, so the ranked level is built here from three decisions:

* **context themes** (:func:`find_context_themes`): sentences customers write around what they came
  to say (what they ordered, where they flew, sign-offs) form themes of their own. They are
  recognised from the data: such a theme is almost never the *only* theme of a record, where an
  issue often is. They stay visible, but are never ranked and never a record's primary theme;
* **the analyst level** (:func:`rank_themes`): by default a leaf under a parent is a sub-theme and
  the parent is ranked; leaves without a parent are ranked themselves. The number of parents was
  chosen from the data when the model was fitted (:func:`voc.themes.hierarchy.choose_n_parents`);
* **standing out** (:func:`standout_leaves`): a sub-theme whose customers are far unhappier than
  the rest of its group's is ranked on its own, so grouping never hides a small, costly issue;
* **the primary theme** of a record (:func:`record_themes`): the issue theme with the most of the
  record's sentences, ties going to the one the customer raised first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from voc.schemas import UNASSIGNED_THEME

#: role of a theme row in :func:`rank_themes`'s output
ROLE_THEME = "theme"  # ranked
ROLE_SUB_THEME = "sub-theme"  # a leaf below a ranked parent
ROLE_GROUP = "group"  # a parent when leaves are ranked
ROLE_CONTEXT = "context"  # shown, never ranked

RankLevel = Literal["analyst", "leaf"]

#: :func:`standout_leaves`: rated records each side must have, the least gap in the unhappy share,
#: and the least gap in standard errors (a two-proportion z of 3 is p < 0.0015 one-sided)
STANDOUT_MIN_RECORDS = 20
STANDOUT_MIN_GAP = 0.15
STANDOUT_Z = 3.0


def find_context_themes(assignments: pd.DataFrame, *, solo_ratio: float, min_records: int = 5) -> set[int]:
    """Themes that are almost never raised on their own: what customers say *around* an issue.

    A theme's solo rate is the share of its records in which it is the record's only theme. Issues
    are often all a customer writes ("The parcel arrived broken."); context sentences ("I ordered a
    coffee machine last week.", "Best wishes, Anna", "London to Johannesburg.") come with something
    else. A theme whose solo rate is below ``solo_ratio`` times the median theme's is context. When
    records are long and no theme is ever alone (the median is 0), nothing is context: there is no
    contrast to learn from.

    Parameters
    ----------
    assignments : DataFrame
        ``record_id``, ``theme_id`` (-1 unassigned), one row per unit.
    solo_ratio : float
        0 turns the rule off.
    min_records : int
        Themes in fewer records are never judged (too little evidence).

    Returns
    -------
    set of int, the context themes' ids
    """
    if solo_ratio <= 0:
        return set()
    assigned = assignments.loc[assignments["theme_id"] != UNASSIGNED_THEME, ["record_id", "theme_id"]]
    pairs = assigned.drop_duplicates()
    if pairs.empty:
        return set()
    themes_per_record = pairs.groupby("record_id")["theme_id"].transform("size")
    solo = (themes_per_record == 1).groupby(pairs["theme_id"]).mean()
    records = pairs.groupby("theme_id").size()
    judged = solo[records.reindex(solo.index) >= min_records]
    median = float(judged.median()) if len(judged) else 0.0
    if median <= 0:
        return set()
    return {int(t) for t, rate in judged.items() if rate < solo_ratio * median}


def rank_themes(
    themes: pd.DataFrame, *, rank_level: RankLevel, context: Iterable[int] = (), promote: Iterable[int] = ()
) -> tuple[pd.DataFrame, dict[int, int]]:
    """Mark which theme rows are ranked, and map every leaf to the ranked theme it counts for.

    Parameters
    ----------
    themes : DataFrame
        Visible themes (``THEME_COLUMNS`` plus ``level``: 1 leaf, 2 parent).
    rank_level : "analyst" or "leaf"
    context : ids of context leaves (:func:`find_context_themes`)
    promote : ids of leaves ranked on their own at the analyst level although they have a parent
        (:func:`standout_leaves`)

    Returns
    -------
    themes : the input plus ``role`` (theme, sub-theme, group, context) and ``ranked`` (bool)
    ranked_of : dict of leaf id to the ranked theme id its units count for (context leaves absent)
    """
    context = {int(t) for t in context}
    promote = {int(t) for t in promote}
    frame = themes.copy()
    ids = frame["theme_id"].astype(int).to_numpy()
    level = frame["level"].to_numpy() if "level" in frame.columns else np.ones(len(frame), dtype=int)
    parent = frame["parent_id"] if "parent_id" in frame.columns else pd.Series(pd.NA, index=frame.index)
    parent_ids = {int(t) for t, lv in zip(ids, level) if lv == 2}
    ranked_of: dict[int, int] = {}
    roles: list[str] = []
    for theme_id, lv, parent_id in zip(ids, level, parent):
        theme_id = int(theme_id)
        if lv == 2:
            roles.append(ROLE_THEME if rank_level == "analyst" else ROLE_GROUP)
        elif theme_id in context:
            roles.append(ROLE_CONTEXT)
        elif (
            rank_level == "analyst" and pd.notna(parent_id) and int(parent_id) in parent_ids and theme_id not in promote
        ):
            roles.append(ROLE_SUB_THEME)
            ranked_of[theme_id] = int(parent_id)
        else:
            roles.append(ROLE_THEME)
            ranked_of[theme_id] = theme_id
    frame["role"] = roles
    # a parent all of whose leaves are context holds nothing to rank
    holding = set(ranked_of.values())
    parent_rows = (frame["level"] == 2) if "level" in frame.columns else pd.Series(False, index=frame.index)
    frame.loc[parent_rows & (frame["role"] == ROLE_THEME) & ~frame["theme_id"].isin(holding), "role"] = ROLE_CONTEXT
    frame["ranked"] = frame["role"].eq(ROLE_THEME)
    return frame, ranked_of


def standout_leaves(
    leaf_units: pd.DataFrame,
    ranked_of: dict[int, int],
    unhappy: pd.Series,
    *,
    min_records: int = STANDOUT_MIN_RECORDS,
    min_gap: float = STANDOUT_MIN_GAP,
    z: float = STANDOUT_Z,
) -> set[int]:
    """Sub-themes whose customers are far unhappier than the rest of their group's: ranked on their own.

    Grouping leaves into analyst-level themes averages their outcomes, and a small issue that
    drives customers away (a data breach among account questions) would vanish into its group's
    mean: exactly the issue a priority list is for. A sub-theme stands out when its records'
    share of unhappy customers exceeds that of the group's other records by ``min_gap`` and by
    ``z`` standard errors (two-proportion test), each side with ``min_records`` rated records.

    Parameters
    ----------
    leaf_units : DataFrame ``record_id``, ``theme_id`` (leaf, -1 none), one row per unit
    ranked_of : leaf id -> ranked theme id (:func:`rank_themes`)
    unhappy : Series record id -> 1.0 unhappy (detractor, low CSAT, ...), 0.0 not, NaN unrated

    Returns
    -------
    set of int, the sub-themes to rank on their own
    """
    pairs = leaf_units.loc[leaf_units["theme_id"] != UNASSIGNED_THEME, ["record_id", "theme_id"]].drop_duplicates()
    pairs = pairs.assign(group=pairs["theme_id"].map(ranked_of))
    pairs = pairs[pairs["group"].notna()]
    pairs = pairs.assign(unhappy=pairs["record_id"].map(unhappy))
    pairs = pairs[pairs["unhappy"].notna()]
    below = pairs[pairs["group"] != pairs["theme_id"]]
    found: set[int] = set()
    for leaf, rows in below.groupby("theme_id"):
        mine = rows.drop_duplicates("record_id")
        others = pairs[(pairs["group"] == rows["group"].iat[0]) & ~pairs["record_id"].isin(mine["record_id"])]
        others = others.drop_duplicates("record_id")
        n1, n2 = len(mine), len(others)
        if n1 < min_records or n2 < min_records:
            continue
        p1, p2 = float(mine["unhappy"].mean()), float(others["unhappy"].mean())
        pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        spread = np.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / n1 + 1 / n2))
        if p1 - p2 >= min_gap and (p1 - p2) / spread >= z:
            found.add(int(leaf))
    return found


def ranked_units(units: pd.DataFrame, ranked_of: dict[int, int]) -> pd.DataFrame:
    """Units with ``theme_id`` at the ranked level and the leaf kept as ``leaf_theme_id``.

    Units of context leaves become unassigned at the ranked level (their leaf stays recorded).
    """
    leaf = units["theme_id"].astype(int)
    mapped = leaf.map(ranked_of).fillna(UNASSIGNED_THEME).astype(int)
    return units.assign(leaf_theme_id=leaf.to_numpy(), theme_id=mapped.to_numpy())


def recount_ranked(themes: pd.DataFrame, leaf_units: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """``n_units``/``n_records`` of ranked themes from the ranked units, of other rows from leaves.

    So a parent counts the sentences of its issue sub-themes only, never its context leaves, and
    the number beside a theme is the number of sentences the ranking used.
    """

    def counts(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        assigned = frame[frame["theme_id"] != UNASSIGNED_THEME]
        return assigned.groupby("theme_id").size(), assigned.groupby("theme_id")["record_id"].nunique()

    ranked_n, ranked_r = counts(units)
    leaf_n, leaf_r = counts(leaf_units)
    out = themes.copy()
    ids = out["theme_id"].astype(int)
    ranked = out["ranked"].to_numpy(dtype=bool)
    is_leaf = (out["level"] == 1).to_numpy() if "level" in out.columns else np.ones(len(out), dtype=bool)
    n_units = np.where(
        ranked, ids.map(ranked_n).fillna(0), np.where(is_leaf, ids.map(leaf_n).fillna(0), out["n_units"])
    )
    n_records = np.where(
        ranked, ids.map(ranked_r).fillna(0), np.where(is_leaf, ids.map(leaf_r).fillna(0), out["n_records"])
    )
    out["n_units"] = n_units.astype("int64")
    out["n_records"] = n_records.astype("int64")
    return out


def record_themes(units: pd.DataFrame, *, context: Iterable[int] = ()) -> pd.DataFrame:
    """Long table of each record's themes with one primary.

    The primary theme is, among the record's themes that are not context, the one with the most
    of its sentences; ties go to the theme raised first (``unit_index``, when given), then to the
    higher mean similarity, then to the lower id. A customer who writes about a late parcel and
    then, in one more sentence, about the hotline, came about the parcel.

    Parameters
    ----------
    units : DataFrame
        ``record_id``, ``theme_id``, ``theme_similarity``, optionally ``unit_index`` (the
        sentence's position in its record).
    context : ids of themes that are never primary while the record has another theme

    Returns
    -------
    DataFrame ``record_id``, ``theme_id``, ``is_primary``, ``n_units`` (``RECORD_THEME_COLUMNS``
    without ``sentiment``, which the sentiment step adds).
    """
    assigned = units[units["theme_id"] != UNASSIGNED_THEME]
    if assigned.empty:
        return pd.DataFrame(
            {
                "record_id": pd.Series(dtype=object),
                "theme_id": pd.Series(dtype="int64"),
                "is_primary": pd.Series(dtype=bool),
                "n_units": pd.Series(dtype="int64"),
            }
        )
    position = assigned["unit_index"] if "unit_index" in assigned.columns else pd.Series(0, index=assigned.index)
    grouped = (
        assigned.assign(_position=position.to_numpy())
        .groupby(["record_id", "theme_id"], sort=False)
        .agg(
            n_units=("theme_id", "size"),
            first=("_position", "min"),
            mean_similarity=("theme_similarity", "mean"),
        )
        .reset_index()
    )
    grouped["context"] = grouped["theme_id"].isin({int(t) for t in context})
    grouped = grouped.sort_values(
        ["record_id", "context", "n_units", "first", "mean_similarity", "theme_id"],
        ascending=[True, True, False, True, False, True],
    )
    grouped["is_primary"] = ~grouped["record_id"].duplicated()
    grouped["theme_id"] = grouped["theme_id"].astype("int64")
    grouped["n_units"] = grouped["n_units"].astype("int64")
    return grouped[["record_id", "theme_id", "is_primary", "n_units"]].reset_index(drop=True)
