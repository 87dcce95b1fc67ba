"""The night's counts have one definition: themes, ranked, context themes, parent groups, changes."""

from __future__ import annotations

import pandas as pd

from voc.report.counts import theme_changes, theme_counts


def _hierarchy() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "theme_id": [0, 1, 2, 3, 4, 100, 101],
            "status": ["active", "active", "emerging", "retired", "active", "active", "retired"],
            "level": [1, 1, 1, 1, 1, 2, 2],
        }
    )


def test_live_leaf_themes_split_into_ranked_and_context():
    priorities = pd.DataFrame({"theme_id": [0, 2, 3]})  # 3 is retired: ranked but not live
    counts = theme_counts(_hierarchy(), priorities)
    assert counts == {
        "n_themes": 4,
        "n_ranked_themes": 2,
        "n_context_themes": 2,
        "n_emerging_themes": 1,
        "n_parent_themes": 1,
    }
    assert counts["n_themes"] == counts["n_ranked_themes"] + counts["n_context_themes"]


def test_without_a_hierarchy_the_ranked_themes_are_the_themes():
    counts = theme_counts(pd.DataFrame(), pd.DataFrame({"theme_id": [5, 6, 6]}))
    assert counts["n_themes"] == counts["n_ranked_themes"] == 2


def test_changes_count_leaf_themes_and_parent_groups_apart():
    events = pd.DataFrame({"event": ["birth", "birth", "birth", "retire", "match"], "theme_id": [0, 1, 100, 3, 4]})
    changes = theme_changes(events, _hierarchy())
    assert changes == {"New themes": 2, "New parent groups": 1, "Retired themes": 1}
    assert theme_changes(None, _hierarchy()) == {}
