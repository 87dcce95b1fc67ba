"""The priority list: contract, formulas on hand-computed cases, weights, stable order, the why."""

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from impact_frames import NOW, make_drivers
from long_history import rated_records

from voc.config import ImpactSettings, ImpactWeights
from voc.impact import rank_priorities
from voc.impact._frames import theme_mentions
from voc.impact.priorities import complaint_cost, rank_normalise
from voc.metrics import key_drivers
from voc.schemas import PRIORITY_COLUMNS


def test_contract_and_ranks(frames):
    records, rt, themes = frames
    out = rank_priorities(records, rt, themes, make_drivers(records, rt), settings=ImpactSettings(), now=NOW)
    assert tuple(out.columns) == PRIORITY_COLUMNS
    assert out["rank"].tolist() == list(range(1, len(out) + 1))
    assert out["priority_score"].between(0, 1).all()
    assert out["priority_score"].is_monotonic_decreasing
    assert set(out["theme_id"]) == set(rt["theme_id"])
    assert out.loc[out["theme_id"] == 0, "n_records"].item() == rt.loc[rt["theme_id"] == 0, "record_id"].nunique()


def test_spiking_theme_grows_and_says_so(frames):
    records, rt, themes = frames
    out = rank_priorities(records, rt, themes, pd.DataFrame(), settings=ImpactSettings(), now=NOW).set_index("theme_id")
    assert out.loc[1, "trend_pct"] > 50 and out.loc[1, "trend_p_value"] < 0.01
    assert "growing" in out.loc[1, "why"] and "week on week" in out.loc[1, "why"]
    assert out.loc[1, "why"].startswith(f"{['1st', '2nd', '3rd', '4th', '5th'][out.loc[1, 'rank'] - 1]}:")


def test_empty_drivers_give_nan_impact_not_an_error(frames):
    records, rt, themes = frames
    out = rank_priorities(records, rt, themes, pd.DataFrame(), settings=ImpactSettings(), now=NOW)
    assert out["nps_impact"].isna().all()
    assert not out["why"].str.contains("NPS impact").any()


def test_churn_uplift_and_revenue_at_risk_by_hand():
    # 10 customers; theme 7 raised by c0..c4 (4 churned, value 100 each), the rest c5..c9 (1 churned).
    n = 10
    records = pd.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(n)],
            "customer_id": [f"c{i}" for i in range(n)],
            "created_at": [NOW - timedelta(days=2)] * n,
            "text": "x",
            "source_type": ["ticket"] * 3 + ["survey"] * 7,
            "churned": [True, True, True, True, False, True, False, False, False, False],
            "customer_value": [100.0] * n,
            "score": np.nan,
            "score_type": None,
            "segment": None,
            "channel": None,
            "journey_stage": None,
        }
    )
    rt = pd.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(5)] + ["r5"],
            "theme_id": [7] * 5 + [8],
            "is_primary": True,
            "n_units": 1,
            "sentiment": -0.5,
        }
    )
    out = rank_priorities(
        records,
        rt,
        pd.DataFrame(),
        pd.DataFrame(),
        settings=ImpactSettings(min_volume=5, cost_per_contact=4.0),
        now=NOW,
    ).set_index("theme_id")
    # smoothed rates: (4 + .5) / (5 + 1) against (1 + .5) / (5 + 1) -> 3.0
    assert out.loc[7, "churn_uplift"] == pytest.approx(3.0)
    # 5 customers x 100 x (0.8 - 0.2)
    assert out.loc[7, "revenue_at_risk"] == pytest.approx(300.0)
    assert out.loc[7, "cost_to_serve"] == pytest.approx(3 * 4.0)
    assert np.isnan(out.loc[8, "churn_uplift"])  # one customer: below the minimum volume
    assert out.loc[7, "theme_label"] == "theme 7"


def test_complaint_cost_by_hand():
    records = pd.DataFrame(
        {
            "record_id": ["r0", "r1", "r2", "r3", "r4"],
            "score": [0, 10, 8, 2, np.nan],
            "score_type": ["nps"] * 4 + [None],
        }
    )
    mentions = pd.DataFrame(
        {
            "record_id": ["r0", "r3", "r1", "r2", "r4"],
            "theme_id": [5, 5, 6, 7, 8],
            "sentiment": [-0.5, -0.9, -0.6, 0.4, -0.9],
        }
    )
    cost = complaint_cost(records, mentions)
    # net values -100, +100, 0, -100: mean -25. Without theme 5's complainers (r0, r3): +50.
    assert cost[5] == pytest.approx(75.0)
    assert cost[6] == pytest.approx(-200 / 3 + 25)  # its complainer was a promoter
    assert 7 not in cost.index and 8 not in cost.index  # praise only / unscored complaint


def test_weights_drive_the_order(frames):
    records, rt, themes = frames
    drivers = make_drivers(records, rt)
    only_nps = ImpactSettings(
        weights=ImpactWeights(volume=0, trend=0, negativity=0, nps_impact=1, churn=0, revenue=0, cost=0)
    )
    out = rank_priorities(records, rt, themes, drivers, settings=only_nps, now=NOW)
    cost = complaint_cost(records, theme_mentions(records, rt)).reindex(out["theme_id"]).clip(lower=0).fillna(0)
    expected = sorted(cost.index, key=lambda t: (-cost[t], t))
    assert out["theme_id"].tolist() == expected
    only_volume = ImpactSettings(
        weights=ImpactWeights(volume=1, trend=0, negativity=0, nps_impact=0, churn=0, revenue=0, cost=0)
    )
    out = rank_priorities(records, rt, themes, drivers, settings=only_volume, now=NOW)
    complainers = out.set_index("theme_id")["n_customers"] * out.set_index("theme_id")["negativity"]
    assert complainers.loc[out["theme_id"]].is_monotonic_decreasing


def test_order_is_stable_and_ties_break_by_theme_id(frames):
    records, rt, themes = frames
    twin = rt.loc[rt["theme_id"] == 2].assign(theme_id=9)
    rt2 = pd.concat([rt, twin], ignore_index=True)
    a = rank_priorities(records, rt2, themes, pd.DataFrame(), settings=ImpactSettings(), now=NOW)
    b = rank_priorities(
        records.sample(frac=1, random_state=3),
        rt2.sample(frac=1, random_state=4),
        themes,
        pd.DataFrame(),
        settings=ImpactSettings(),
        now=NOW,
    )
    pd.testing.assert_frame_equal(a, b)
    ranks = a.set_index("theme_id")["rank"]
    assert ranks[9] == ranks[2] + 1


def test_no_mentions_gives_an_empty_table(frames):
    records, rt, themes = frames
    out = rank_priorities(records, rt.iloc[:0], themes, pd.DataFrame(), settings=ImpactSettings(), now=NOW)
    assert out.empty and tuple(out.columns) == PRIORITY_COLUMNS


def test_rank_normalise_zero_for_missing_and_non_positive():
    r = rank_normalise(pd.Series([np.nan, -1.0, 0.0, 2.0, 5.0]))
    assert r.tolist() == [0.0, 0.0, 0.0, 4 / 5, 1.0]


def test_themes_outside_the_windows_have_no_trend(frames):
    records, rt, themes = frames
    later = NOW + timedelta(days=400)
    out = rank_priorities(records, rt, themes, pd.DataFrame(), settings=ImpactSettings(), now=later)
    assert out["trend_pct"].isna().all() and out["trend_p_value"].isna().all()
    assert not out["why"].str.contains("growing|falling|new:").any()


def _with_dates(records: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return records.assign(
        created_at=[NOW - timedelta(days=float(d)) for d in rng.uniform(1, 60, len(records))], text="a comment"
    )


def test_star_ratings_rank_by_their_own_impact_and_say_so():
    records, rt = rated_records("stars", [1, 2], [4, 5])
    records = _with_dates(records)
    only_impact = ImpactSettings(
        weights=ImpactWeights(volume=0, trend=0, negativity=0, nps_impact=1, churn=0, revenue=0, cost=0)
    )
    drivers = key_drivers(records, rt, n_boot=0)
    out = rank_priorities(records, rt, pd.DataFrame(), drivers, settings=only_impact, now=NOW).set_index("theme_id")
    assert (out["impact_metric"] == "stars").all()
    assert out["nps_impact"].isna().all()  # NPS points stay NPS points: there are none here
    expected = drivers.set_index("theme_id")["impact"]
    assert out["impact"].to_dict() == pytest.approx(expected.to_dict())
    assert out.loc[3, "rank"] == 1 and out.loc[3, "impact"] < 0
    assert f"stars impact {out.loc[3, 'impact']:+.2f} stars" in out.loc[3, "why"]


def test_a_complaints_file_without_scores_gets_an_explained_impact_ranking():
    rng = np.random.default_rng(2)
    n = 500
    ids = np.array([f"c{i}" for i in range(n)])
    harsh = rng.random(n) < 0.3
    records = _with_dates(
        pd.DataFrame(
            {
                "record_id": ids,
                "score": np.nan,
                "score_type": None,
                "sentiment": np.where(harsh, -0.8, 0.1),
                "source_type": "complaint",
            }
        )
    )
    rt = pd.concat(
        [
            pd.DataFrame({"record_id": ids[harsh], "theme_id": 1, "sentiment": -0.8}),
            pd.DataFrame({"record_id": ids[~harsh], "theme_id": 2, "sentiment": 0.1}),
        ]
    )
    only_impact = ImpactSettings(
        weights=ImpactWeights(volume=0, trend=0, negativity=0, nps_impact=1, churn=0, revenue=0, cost=0)
    )
    out = rank_priorities(
        records, rt, pd.DataFrame(), key_drivers(records, rt, n_boot=0), settings=only_impact, now=NOW
    ).set_index("theme_id")
    assert (out["impact_metric"] == "sentiment").all()
    assert out.loc[1, "rank"] == 1 and out.loc[1, "priority_score"] > out.loc[2, "priority_score"]
    assert out.loc[1, "impact"] == pytest.approx(100 * (records["sentiment"].mean() - 0.1))
    assert "sentiment impact" in out.loc[1, "why"]
