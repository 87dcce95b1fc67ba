"""The ranked level: context themes, the analyst level and each record's primary theme."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voc.config import ThemeSettings
from voc.schemas import UNASSIGNED_THEME
from voc.themes.hierarchy import choose_n_parents, fit_parents, grouping_stability
from voc.themes.levels import (
    find_context_themes,
    rank_themes,
    ranked_units,
    record_themes,
    recount_ranked,
    standout_leaves,
)


def units_of(records: dict[str, list[int]]) -> pd.DataFrame:
    """One row per unit: record id, theme id, position, similarity."""
    rows = [
        (record_id, theme, position, 0.9)
        for record_id, themes in records.items()
        for position, theme in enumerate(themes)
    ]
    return pd.DataFrame(rows, columns=["record_id", "theme_id", "unit_index", "theme_similarity"])


def test_a_theme_never_raised_alone_is_context():
    # themes 1 and 2 are issues, often alone; theme 9 ("I ordered a ... last week") never is
    records = {f"a{i}": [1] for i in range(10)} | {f"b{i}": [2] for i in range(10)}
    records |= {f"c{i}": [9, 1] for i in range(8)} | {f"d{i}": [9, 2] for i in range(8)}
    assert find_context_themes(units_of(records), solo_ratio=0.25) == {9}
    assert find_context_themes(units_of(records), solo_ratio=0) == set()


def test_long_records_without_any_solo_theme_have_no_context():
    # every record raises two themes: no contrast to learn context from
    records = {f"r{i}": [i % 3, 3 + i % 2] for i in range(30)}
    assert find_context_themes(units_of(records), solo_ratio=0.25) == set()


def test_primary_theme_skips_context_and_ties_go_to_the_first_raised():
    units = units_of({"r1": [9, 2, 1], "r2": [9], "r3": [3, 3, 1]})
    table = record_themes(units, context={9})
    primary = table[table["is_primary"]].set_index("record_id")["theme_id"]
    assert primary["r1"] == 2  # 9 is context, 2 and 1 tie on one sentence, 2 came first
    assert primary["r2"] == 9  # context is still a record's theme when it has nothing else
    assert primary["r3"] == 3  # most sentences wins over position


@given(st.dictionaries(st.text("abc", min_size=1, max_size=3), st.lists(st.integers(-1, 4), min_size=1, max_size=5)))
@settings(max_examples=60, deadline=None)
def test_every_record_with_a_theme_has_exactly_one_primary(records):
    units = units_of(records)
    table = record_themes(units, context={4})
    with_theme = {r for r, themes in records.items() if any(t != UNASSIGNED_THEME for t in themes)}
    assert set(table["record_id"]) == with_theme
    assert (table.groupby("record_id")["is_primary"].sum() == 1).all()


def hierarchy() -> pd.DataFrame:
    """Leaves 1, 2 under parent 10; leaf 3 alone; leaf 9 context under parent 11 with leaf 4."""
    return pd.DataFrame(
        {
            "theme_id": [1, 2, 3, 4, 9, 10, 11],
            "parent_id": pd.array([10, 10, pd.NA, 11, 11, pd.NA, pd.NA], dtype="Int64"),
            "level": [1, 1, 1, 1, 1, 2, 2],
            "n_units": [0] * 7,
            "n_records": [0] * 7,
        }
    )


def test_analyst_level_ranks_parents_and_lone_leaves():
    themes, ranked_of = rank_themes(hierarchy(), rank_level="analyst", context={9})
    role = themes.set_index("theme_id")["role"]
    assert set(themes.loc[themes["ranked"], "theme_id"]) == {3, 10, 11}
    assert role[1] == role[2] == role[4] == "sub-theme" and role[9] == "context"
    assert ranked_of == {1: 10, 2: 10, 3: 3, 4: 11}


def test_leaf_level_ranks_leaves_and_keeps_parents_as_groups():
    themes, ranked_of = rank_themes(hierarchy(), rank_level="leaf", context={9})
    assert set(themes.loc[themes["ranked"], "theme_id"]) == {1, 2, 3, 4}
    assert set(themes.loc[themes["role"] == "group", "theme_id"]) == {10, 11}
    assert 9 not in ranked_of


def test_a_parent_of_context_only_is_not_ranked():
    themes, _ = rank_themes(hierarchy(), rank_level="analyst", context={4, 9})
    assert not themes.set_index("theme_id").loc[11, "ranked"]


def test_ranked_counts_add_up_to_their_sub_themes_without_context():
    leaf_units = units_of({"r1": [1, 9], "r2": [2], "r3": [2, 4], "r4": [3]})
    themes, ranked_of = rank_themes(hierarchy(), rank_level="analyst", context={9})
    units = ranked_units(leaf_units, ranked_of)
    counted = recount_ranked(themes, leaf_units, units).set_index("theme_id")
    assert counted.loc[10, "n_units"] == 3 and counted.loc[10, "n_records"] == 3  # leaves 1, 2, 2
    assert counted.loc[11, "n_units"] == 1  # leaf 4 only: context leaf 9 is not counted
    assert counted.loc[9, "n_units"] == 1 and counted.loc[1, "n_units"] == 1
    assert (units.loc[units["leaf_theme_id"] == 9, "theme_id"] == UNASSIGNED_THEME).all()


def blobs(n_groups: int, per_group: int, *, spread: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors of ``n_groups`` well-separated directions, each split into 3 close themes."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_groups, 32))
    vectors, labels = [], []
    for g, centre in enumerate(centres):
        for sub in range(3):
            theme_centre = centre + 0.15 * rng.normal(size=32)
            vectors.append(theme_centre + spread * rng.normal(size=(per_group, 32)))
            labels += [3 * g + sub] * per_group
    x = np.vstack(vectors)
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.array(labels)


def test_the_most_stable_grouping_recovers_the_real_number_of_issues():
    x, labels = blobs(6, 40, spread=0.3)
    chosen = choose_n_parents(x, labels, min_groups=3, max_groups=12)
    assert chosen == 6
    stability = grouping_stability(x, labels, [3, 6, 12])
    assert stability[6] > stability[12]


def test_few_themes_need_no_grouping():
    x, labels = blobs(2, 30, spread=0.3)  # six themes
    assert choose_n_parents(x, labels, min_groups=3, max_groups=10) == 6
    assert len(set(fit_parents(np.eye(6), n_parents=6).tolist())) == 6


def test_the_analyst_range_must_be_ordered():
    with pytest.raises(ValueError, match="analyst_min_themes"):
        ThemeSettings(analyst_min_themes=30, analyst_max_themes=10)


def test_a_sub_theme_far_unhappier_than_its_group_is_ranked_on_its_own():
    # group 100 holds leaves 1 (40 records, 10 % unhappy), 2 (40, 15 %) and 3 (25 records, 80 % unhappy)
    records: dict[str, list[int]] = {}
    unhappy: dict[str, float] = {}
    for leaf, n, share in ((1, 40, 0.10), (2, 40, 0.15), (3, 25, 0.80)):
        for i in range(n):
            records[f"{leaf}-{i}"] = [leaf]
            unhappy[f"{leaf}-{i}"] = float(i < round(n * share))
    units = units_of(records)
    ranked_of = {1: 100, 2: 100, 3: 100}
    outcomes = pd.Series(unhappy)
    assert standout_leaves(units, ranked_of, outcomes) == {3}
    # as unhappy as its group: stays a sub-theme; too few rated records: no evidence either way
    calm = outcomes.copy()
    calm[[f"3-{i}" for i in range(25)]] = [float(i < 3) for i in range(25)]
    assert standout_leaves(units, ranked_of, calm) == set()
    assert standout_leaves(units, ranked_of, outcomes.drop([f"3-{i}" for i in range(10)])) == set()
    # a leaf ranked on its own already is never promoted again
    assert standout_leaves(units, {1: 100, 2: 100, 3: 3}, outcomes) == set()


def test_a_promoted_sub_theme_counts_for_itself_not_its_group():
    themes = hierarchy()
    table, ranked_of = rank_themes(themes, rank_level="analyst", promote={1})
    roles = table.set_index("theme_id")["role"]
    assert roles[1] == "theme" and ranked_of[1] == 1
