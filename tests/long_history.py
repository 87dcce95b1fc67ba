"""Small histories the metric and impact tests build themselves.

- :func:`long_history`: seven years of a few reviews a week (about 200 a year), like a public
  review site's export; each record mentions one of five themes.
- :func:`rated_records`: one score type on its own scale, with a planted harmful theme.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

START = datetime(2018, 1, 3)
END = datetime(2025, 3, 20)


def long_history(*, seed: int = 0, per_day: float = 0.55, score_type: str | None = "nps") -> pd.DataFrame:
    """Records from :data:`START` to :data:`END`, Poisson ``per_day`` a day, with ``theme_id`` 0..4.

    Theme 3 doubles its share in the last 120 days (a real rise a trend must see); scores are
    NPS 0-10 (or None with ``score_type=None``).
    """
    rng = np.random.default_rng(seed)
    days = (END - START).days
    per = rng.poisson(per_day, days)
    stamps = [
        START + timedelta(days=int(d), hours=float(rng.uniform(8, 20))) for d in range(days) for _ in range(per[d])
    ]
    n = len(stamps)
    late = np.array([(END - s).days < 120 for s in stamps])
    share = np.array([0.3, 0.25, 0.2, 0.1, 0.15])
    rising = share.copy()
    rising[3] *= 3
    rising /= rising.sum()
    theme = np.where(late, rng.choice(5, n, p=rising), rng.choice(5, n, p=share))
    scores = rng.choice(11, n, p=np.array([1, 1, 1, 1, 1, 2, 3, 6, 7, 9, 9]) / 41).astype(float)
    return pd.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(n)],
            "created_at": stamps,
            "text": "a comment",
            "score": scores if score_type else np.nan,
            "score_type": score_type,
            "theme_id": theme,
            "sentiment": rng.uniform(-1, 1, n),
        }
    )


def rated_records(
    score_type: str, bad: list[int], good: list[int], *, n: int = 900, seed: int = 3
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(records, record_themes): theme 3's mentioners answer in ``bad`` only, theme 8 like everyone."""
    rng = np.random.default_rng(seed)
    themed = rng.random(n) < 0.2
    scores = np.where(themed, rng.choice(bad, n), rng.choice(bad + good, n)).astype(float)
    ids = np.array([f"r{i}" for i in range(n)])
    records = pd.DataFrame({"record_id": ids, "score": scores, "score_type": score_type, "sentiment": np.nan})
    record_themes = pd.concat(
        [
            pd.DataFrame({"record_id": ids[themed], "theme_id": 3}),
            pd.DataFrame({"record_id": ids[~themed][:250], "theme_id": 8}),
        ]
    )
    return records, record_themes
