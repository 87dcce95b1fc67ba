"""Theme volumes per period."""

from __future__ import annotations

import pandas as pd

from voc.metrics import VOLUME_COLUMNS, theme_volumes


def test_weekly_volumes_fill_quiet_weeks_and_shares():
    records = pd.DataFrame(
        {
            "record_id": ["a", "b", "c", "d", "e"],
            "created_at": pd.to_datetime(["2024-03-04", "2024-03-05", "2024-03-12", "2024-03-13", "2024-03-13"]),
            "text": ["x", "y", "z", "w", ""],
        }
    )
    record_themes = pd.DataFrame(
        {"record_id": ["a", "b", "c", "a", "d"], "theme_id": [1, 1, 1, 2, -1], "sentiment": [-0.5, -0.1, 0.2, 0.4, 0.0]}
    )
    table = theme_volumes(record_themes, records, period="week")
    assert list(table.columns) == list(VOLUME_COLUMNS)
    one = table[table.theme_id == 1].set_index("period_start")
    assert one.loc[pd.Timestamp("2024-03-04"), "n_records"] == 2
    assert one.loc[pd.Timestamp("2024-03-04"), "share"] == 1.0  # both records of that week
    assert one.loc[pd.Timestamp("2024-03-11"), "share"] == 0.5  # c of c, d (e has no text)
    assert one.loc[pd.Timestamp("2024-03-04"), "mean_sentiment"] == -0.3
    two = table[table.theme_id == 2].set_index("period_start")
    assert two.loc[pd.Timestamp("2024-03-11"), "n_records"] == 0  # quiet week kept
    assert -1 not in set(table.theme_id)
