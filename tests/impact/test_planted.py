"""On the shipped sample, every planted scenario is found and named.

The planted truth's themes stand in for theme discovery and their polarity for sentiment, so these
tests judge the impact step alone; the whole pipeline is tested end to end elsewhere.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from voc.config import AlertSettings, ImpactSettings
from voc.impact import detect_alerts, detect_signals, rank_priorities
from voc.impact.signals.silent_detractors import is_empty_comment

sample = pytest.importorskip("voc.sample")
drivers_module = pytest.importorskip("voc.metrics.drivers")


@lru_cache(maxsize=1)
def planted_frames():
    """(records, record_themes, themes, drivers, customers, planted, now) from the default sample."""
    frame, planted = sample.generate_sample()
    tags = {r["feedback_id"]: r for r in planted["records"]}
    frame = frame.loc[[not ({"bad_row", "duplicate"} & set(tags[f]["tags"])) for f in frame["feedback_id"]]].copy()
    records = frame.rename(columns={"feedback_id": "record_id"})
    records["created_at"] = pd.to_datetime(records["created_at"], errors="coerce")
    records = records.dropna(subset=["created_at"])
    records["score"] = pd.to_numeric(records["score"], errors="coerce").astype(float)
    records["text"] = records["text"].fillna("")
    theme_ids = {t["id"]: i for i, t in enumerate(planted["themes"])}
    polarity = {t["id"]: (-0.6 if t["polarity"] == "negative" else 0.6) for t in planted["themes"]}
    rows = [
        {"record_id": rid, "theme_id": theme_ids[t], "is_primary": k == 0, "n_units": 1, "sentiment": polarity[t]}
        for rid in records["record_id"]
        for k, t in enumerate(tags[rid]["themes"])
    ]
    record_themes = pd.DataFrame(rows)
    records["sentiment"] = records["record_id"].map(record_themes.groupby("record_id")["sentiment"].mean())
    first_seen = record_themes.merge(records[["record_id", "created_at"]]).groupby("theme_id")["created_at"].min()
    themes = pd.DataFrame(
        {
            "theme_id": list(theme_ids.values()),
            "label": list(theme_ids),
            "status": "active",
            "born_at": [first_seen.get(i, pd.NaT) for i in theme_ids.values()],
        }
    )
    drivers = drivers_module.theme_drivers(records, record_themes, metric="nps", n_boot=0)
    customers = planted["customers"]  # customer_value is accepted as the value column
    now = dt.datetime.combine(dt.date.fromisoformat(planted["generator"]["end_date"]), dt.time(23, 59, 59))
    return records, record_themes, themes, drivers, customers, planted, now


@pytest.fixture(scope="module")
def data():
    return planted_frames()


@pytest.fixture(scope="module")
def signals(data):
    records, rt, themes, drivers, customers, _, now = data
    return detect_signals(records, rt, themes, drivers, customers=customers, now=now, settings=ImpactSettings())


def scenario(data, name):
    return data[5]["scenarios"][name]


def test_spike_is_alerted_once_and_named(data):
    records, rt, themes, _, _, _, now = data
    alerts = detect_alerts(records, rt, themes, history=None, settings=AlertSettings(), now=now)
    spikes = alerts.loc[alerts["kind"] == "spike"]
    target = scenario(data, "spike")["theme"]
    assert spikes.iloc[0]["theme_label"] == target
    assert (spikes["theme_label"] == target).sum() == 1
    history = spikes.assign(created_at=pd.Timestamp(now) - pd.Timedelta(days=1))
    again = detect_alerts(records, rt, themes, history=history, settings=AlertSettings(), now=now)
    assert target not in set(again.loc[again["kind"] == "spike", "theme_label"])


def test_spike_shows_as_growth_in_the_priority_list(data):
    records, rt, themes, drivers, _, _, now = data
    out = rank_priorities(records, rt, themes, drivers, settings=ImpactSettings(), now=now).set_index("theme_label")
    row = out.loc[scenario(data, "spike")["theme"]]
    assert row["trend_pct"] > 100 and row["trend_p_value"] < 0.001 and "growing" in row["why"]


def test_low_volume_high_impact_theme_is_named_and_outranks_its_volume(data, signals):
    records, rt, themes, drivers, _, _, now = data
    truth = scenario(data, "low_volume_high_impact")
    assert signals["unvoiced_high_impact"].table.iloc[0]["theme_label"] == truth["theme"]
    out = rank_priorities(records, rt, themes, drivers, settings=ImpactSettings(), now=now).set_index("theme_label")
    volume_rank = out["n_records"].rank(ascending=False, method="min")[truth["theme"]]
    assert out.loc[truth["theme"], "rank"] < volume_rank
    assert out.loc[truth["theme"], "churn_uplift"] > 2


def test_silent_detractors_found_where_planted(data, signals):
    truth = scenario(data, "silent_detractors")
    for phrases in truth["nothing_to_add_phrases"].values():
        assert is_empty_comment(pd.Series(phrases)).all(), phrases
    res = signals["silent_detractors"]
    assert res.summary["n_silent_detractors"] >= 0.95 * truth["count"]
    where = res.summary["where"]
    for column in ("segment", "journey_stage"):
        cell = where[column][truth[column]]
        assert cell["share_of_signal"] > 2 * cell["share_of_all"], column
    top = res.table.iloc[0]
    assert (top["segment"], top["journey_stage"]) == (truth["segment"], truth["journey_stage"])
    assert res.summary["likely_themes"]


def test_blind_spot_is_named(data, signals):
    truth = scenario(data, "blind_spot")
    table = signals["survey_blind_spots"].table
    assert truth["theme"] in set(table.loc[table["direction"] == "missing_from_surveys", "theme_label"])


def test_emerging_theme_is_named(data, signals):
    assert scenario(data, "emerging")["theme"] in signals["emerging"].summary["new_themes"]


def test_non_responders_churn_more(data, signals):
    truth = scenario(data, "non_responders")
    overall = signals["non_responders"].table.iloc[0]
    assert np.sign(overall["churn_rate_non_responders"] - overall["churn_rate_responders"]) == np.sign(
        truth["churn_non_responders"] - truth["churn_responders"]
    )


def test_every_signal_is_explained_and_serialisable(signals):
    import json

    for name, result in signals.items():
        assert "error" not in result.summary, (name, result.summary)
        assert result.explanation and result.title
        json.dumps(result.summary)  # reports and artifacts store it as JSON
        assert json.loads(json.dumps(result.as_dict()))["table"] == json.loads(json.dumps(result.as_dict()["table"]))
        assert len(result.as_dict()["table"]) == len(result.table)
