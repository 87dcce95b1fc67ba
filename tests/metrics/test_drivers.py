"""Key drivers on hand-computed cases and on a synthetic frame with a planted driver."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from long_history import rated_records

from voc.metrics import DRIVER_COLUMNS, IMPACT_DEFINITIONS, impact_metric, key_drivers, theme_drivers
from voc.metrics import drivers as drivers_module


def test_hand_computed_contrast():
    # r1..r6 NPS: 0, 3, 10, 9, 8, 10 -> overall (3 promoters - 2 detractors) / 6 = 16.67
    records = pd.DataFrame(
        {"record_id": [f"r{i}" for i in range(1, 7)], "score": [0, 3, 10, 9, 8, 10], "score_type": "nps"}
    )
    # theme 5 is raised by the two detractors and one promoter; theme 7 by r5 only; r9 is unscored
    record_themes = pd.DataFrame({"record_id": ["r1", "r2", "r3", "r5", "r9", "r1"], "theme_id": [5, 5, 5, 7, 7, -1]})
    table = theme_drivers(records, record_themes, n_boot=0).set_index("theme_id")
    assert list(table.reset_index().columns) == list(DRIVER_COLUMNS)
    assert set(table.index) == {5, 7}  # the unassigned theme is no driver
    five = table.loc[5]
    assert (five.n_mentions, five.n_scored) == (3, 3)
    assert five.score_with == pytest.approx(-100 / 3)  # 0, 3, 10
    assert five.score_without == pytest.approx(200 / 3)  # 9, 8, 10
    assert five.nps_impact == pytest.approx(100 / 6 - 200 / 3)  # overall minus without
    assert (table.loc[7].n_mentions, table.loc[7].n_scored) == (2, 1)
    assert np.isnan(five.importance_lo) and np.isnan(five.importance_hi)
    assert table.loc[5, "stated_rank"] == 1


def _planted(n=3000, seed=0):
    """Five themes; theme 4 is rare (4 %) but its customers are almost all detractors."""
    rng = np.random.default_rng(seed)
    volumes = {0: 0.35, 1: 0.25, 2: 0.15, 3: 0.10, 4: 0.04}
    scores = rng.choice(11, n, p=np.array([1, 1, 1, 1, 1, 2, 3, 6, 7, 9, 9]) / 41).astype(float)
    mentions = {t: rng.random(n) < v for t, v in volumes.items()}
    scores[mentions[4]] = rng.choice([0, 1, 2, 3, 4, 8], mentions[4].sum())
    ids = np.array([f"r{i}" for i in range(n)])
    records = pd.DataFrame({"record_id": ids, "score": scores, "score_type": "nps"})
    record_themes = pd.concat([pd.DataFrame({"record_id": ids[m], "theme_id": t}) for t, m in mentions.items()])
    return records, record_themes


def test_planted_low_volume_driver_ranks_first_by_effect_not_volume():
    records, record_themes = _planted()
    table = theme_drivers(records, record_themes, n_boot=200, seed=1).set_index("theme_id")
    assert table.loc[4, "derived_rank"] == 1
    assert table.loc[4, "stated_rank"] == 5
    assert table["nps_impact"].idxmin() == 4
    assert table.loc[4, "p_value"] < 1e-6
    # harmless themes: their effect is indistinguishable from zero
    assert (table.drop(index=4)["p_value"] > 0.001).all()
    assert table.loc[4, "importance_lo"] <= table.loc[4, "importance"] <= table.loc[4, "importance_hi"]
    assert table.loc[4, "importance_lo"] > table.drop(index=4)["importance_hi"].max()


@pytest.mark.parametrize(
    ("metric", "bad", "good"),
    [("csat", [1, 2, 3], [4, 5]), ("ces", [1, 2, 3, 4], [5, 6, 7]), ("stars", [1, 2], [4, 5])],
)
def test_other_metrics(metric, bad, good):
    rng = np.random.default_rng(3)
    n = 800
    themed = rng.random(n) < 0.2
    scores = np.where(themed, rng.choice(bad, n), rng.choice(bad + good, n, p=None)).astype(float)
    ids = [f"r{i}" for i in range(n)]
    records = pd.DataFrame({"record_id": ids, "score": scores, "score_type": metric})
    record_themes = pd.DataFrame({"record_id": np.array(ids)[themed], "theme_id": 3})
    other = pd.DataFrame({"record_id": np.array(ids)[~themed][:200], "theme_id": 8})
    table = theme_drivers(records, pd.concat([record_themes, other]), metric=metric, n_boot=50).set_index("theme_id")
    assert table.loc[3, "score_with"] < table.loc[3, "score_without"]
    assert table.loc[3, "nps_impact"] < 0
    assert table.loc[3, "importance"] > 0 > table.loc[8, "importance"]


def test_errors_name_the_problem():
    records = pd.DataFrame({"record_id": ["a"], "score": [1.0], "score_type": ["nps"]})
    with pytest.raises(ValueError, match="metric"):
        theme_drivers(records, pd.DataFrame({"record_id": ["a"], "theme_id": [1]}), metric="effort")
    with pytest.raises(KeyError, match="theme_id"):
        theme_drivers(records, pd.DataFrame({"record_id": ["a"]}))


def test_p_value_of_a_small_all_detractor_theme_stays_honest():
    """20 detractors against a mixed crowd: strong evidence, but nothing like Welch's 1e-100."""
    rng = np.random.default_rng(3)
    n_rest = 2000
    scores = np.r_[np.zeros(20), rng.choice(11, n_rest).astype(float)]
    ids = np.array([f"r{i}" for i in range(len(scores))])
    records = pd.DataFrame({"record_id": ids, "score": scores, "score_type": "nps"})
    record_themes = pd.DataFrame({"record_id": ids[:20], "theme_id": 1})
    p = theme_drivers(records, record_themes, n_boot=0).set_index("theme_id").loc[1, "p_value"]
    assert 1e-12 < p < 0.01  # Welch gave about 1e-200 here
    # a constant group that scores like the rest on average is not significant
    same = records.assign(score=np.r_[np.full(20, 8.0), rng.choice([0.0, 10.0], n_rest)])  # passives vs a 50:50 crowd
    assert theme_drivers(same, record_themes, n_boot=0).set_index("theme_id").loc[1, "p_value"] > 0.05


@pytest.mark.parametrize(
    ("score_type", "bad", "good"),
    [("stars", [1, 2], [4, 5]), ("csat", [1, 2, 3], [4, 5]), ("ces", [1, 2, 3], [5, 6, 7])],
)
def test_every_score_type_drives_on_its_own_scale(score_type, bad, good):
    records, record_themes = rated_records(score_type, bad, good)
    assert impact_metric(records) == score_type
    table = key_drivers(records, record_themes, n_boot=0).set_index("theme_id")
    assert set(table["metric"]) == {score_type}
    # the impact is overall minus the mean without the theme, in the metric's own unit
    value = records["score"] if score_type != "csat" else 100.0 * (records["score"] >= 4)
    without = ~records["record_id"].isin(record_themes.loc[record_themes["theme_id"] == 3, "record_id"])
    assert table.loc[3, "impact"] == pytest.approx(value.mean() - value[without].mean())
    assert table.loc[3, "impact"] < 0 and table.loc[3, "derived_rank"] == 1
    assert IMPACT_DEFINITIONS[score_type]


def test_a_file_without_scores_is_driven_by_sentiment():
    rng = np.random.default_rng(5)
    n = 600
    ids = np.array([f"c{i}" for i in range(n)])
    complains = rng.random(n) < 0.25
    sentiment = np.where(complains, rng.uniform(-0.9, -0.3, n), rng.uniform(-0.5, 0.8, n))
    records = pd.DataFrame({"record_id": ids, "score": np.nan, "score_type": None, "sentiment": sentiment})
    record_themes = pd.concat(
        [
            pd.DataFrame({"record_id": ids[complains], "theme_id": 1}),
            pd.DataFrame({"record_id": ids[~complains][:200], "theme_id": 2}),
        ]
    )
    assert impact_metric(records) == "sentiment"
    table = key_drivers(records, record_themes, n_boot=50).set_index("theme_id")
    assert set(table["metric"]) == {"sentiment"}
    assert table.loc[1, "impact"] < 0 < table.loc[2, "impact"]
    assert table.loc[1, "impact"] == pytest.approx(100 * (sentiment.mean() - sentiment[~complains].mean()))
    assert table.loc[1, "importance_lo"] > 0
    # neither a score nor a sentiment: no metric, no table, no error
    assert impact_metric(records.drop(columns="sentiment")) is None
    assert key_drivers(records.drop(columns="sentiment"), record_themes).empty


def test_mixed_scores_put_the_most_answered_type_first_and_keep_nps_rows():
    stars, themes = rated_records("stars", [1, 2], [4, 5], n=600)
    nps = stars.assign(record_id="n" + stars["record_id"], score=(stars["score"] * 2).clip(0, 10), score_type="nps")
    records = pd.concat([stars, nps.iloc[:200]], ignore_index=True)
    record_themes = pd.concat([themes, themes.assign(record_id="n" + themes["record_id"])], ignore_index=True)
    table = key_drivers(records, record_themes, n_boot=0)
    assert list(dict.fromkeys(table["metric"])) == ["stars", "nps"]
    assert impact_metric(records, prefer="nps") == "nps"
    assert list(dict.fromkeys(key_drivers(records, record_themes, prefer="nps", n_boot=0)["metric"])) == [
        "nps",
        "stars",
    ]


def test_the_draws_fitted_together_equal_one_newton_fit_per_draw():
    records, record_themes = _planted(n=1500, seed=4)
    X = drivers_module._mention_matrix(record_themes).reindex(records["record_id"], fill_value=False).to_numpy(bool)
    bad = (records["score"] <= 6).to_numpy().astype(int)
    cells, outcome, counts = drivers_module._collapse(X, bad)
    rng = np.random.default_rng(0)
    weights = rng.multinomial(len(bad), counts / counts.sum(), size=40).astype(float)
    one_by_one = np.array([drivers_module._relative_importance(cells, outcome, w) for w in weights])
    together = drivers_module._importance_draws(cells, outcome, weights)
    np.testing.assert_allclose(together, one_by_one, atol=1e-7)
    # solved a few draws at a time (memory bounded by the chunk), the same coefficients
    whole = drivers_module._fit_logistic_draws(cells.astype(float), outcome.astype(float), weights, C=1.0)
    chunked = drivers_module._fit_logistic_draws(cells.astype(float), outcome.astype(float), weights, C=1.0, chunk=7)
    np.testing.assert_allclose(chunked, whole, atol=1e-9)
