"""Each planted scenario is really in the data, measured from the table, not from the design."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from voc.sample import THEMES
from voc.sample.phrases import BANKS

DATE = "%Y-%m-%dT%H:%M:%S"


def _valid(frame: pd.DataFrame, truth: dict) -> pd.DataFrame:
    keep = [not ({"bad_row", "duplicate"} & set(truth[f]["tags"])) for f in frame["feedback_id"]]
    out = frame[keep].copy()
    out["day"] = pd.to_datetime(out["created_at"], format=DATE).dt.date
    out["themes"] = [truth[f]["themes"] for f in out["feedback_id"]]
    return out


def _nps(scores) -> float:
    s = np.asarray(scores, dtype=float)
    return 100.0 * ((s >= 9).mean() - (s <= 6).mean())


def test_spike_theme_jumps_in_the_last_week_and_no_other_does(sample, truth):
    frame, planted = sample
    spike = planted["scenarios"]["spike"]
    data = _valid(frame, truth)
    end = dt.date.fromisoformat(planted["generator"]["end_date"])
    week_start = end - dt.timedelta(days=6)
    base_start = week_start - dt.timedelta(days=28)
    week = data[data["day"] >= week_start]
    base = data[(data["day"] >= base_start) & (data["day"] < week_start)]
    ratios = {}
    for theme in THEMES:
        n_week = sum(theme.id in t for t in week["themes"])
        n_base = sum(theme.id in t for t in base["themes"])
        ratios[theme.id] = (n_week / 7) / max(n_base / 28, 1e-9)
    assert ratios[spike["theme"]] >= 3.0
    assert sum(spike["theme"] in t for t in week["themes"]) >= 30
    others = [r for t, r in ratios.items() if t not in (spike["theme"], planted["scenarios"]["emerging"]["theme"])]
    assert max(others) < 2.0
    assert abs(spike["ratio"] - ratios[spike["theme"]]) < 1e-3


def test_low_volume_theme_has_the_largest_nps_and_churn_effect(sample, truth):
    frame, planted = sample
    info = planted["scenarios"]["low_volume_high_impact"]
    theme = info["theme"]
    data = _valid(frame, truth)
    silent = np.array(["silent" in truth[f]["tags"] for f in data["feedback_id"]])
    commented = data[(data["text"] != "").to_numpy() & ~silent]
    counts = {t.id: sum(t.id in th for th in commented["themes"]) for t in THEMES}
    share = counts[theme] / len(commented)
    assert 0.015 <= share <= 0.04
    assert sorted(counts, key=counts.get, reverse=True).index(theme) >= 5  # far from first by volume
    nps_rows = commented[commented["score_type"] == "nps"]
    gaps = {}
    for t in THEMES:
        mask = np.array([t.id in th for th in nps_rows["themes"]])
        if mask.sum() >= 12:
            gaps[t.id] = _nps(nps_rows["score"][mask]) - _nps(nps_rows["score"][~mask])
    assert theme in gaps
    assert gaps[theme] <= -60
    assert min(gaps, key=gaps.get) == theme
    raised = set(data.loc[[theme in th for th in data["themes"]], "customer_id"])
    by_customer = data.groupby("customer_id")["churned"].first()
    raisers = by_customer[by_customer.index.isin(raised)]
    others = by_customer[~by_customer.index.isin(raised)]
    assert raisers.mean() > 2.5 * others.mean()


def test_silent_detractors_concentrate_in_the_recorded_segment_and_stage(sample, truth):
    frame, planted = sample
    info = planted["scenarios"]["silent_detractors"]
    nothing = {p.strip().lower() for bank in BANKS.values() for p in bank.GENERIC["nothing"]}
    data = _valid(frame, truth)
    nps_rows = data[data["score_type"] == "nps"]
    silent = nps_rows["text"].str.strip().str.lower().isin(nothing | {""})
    detractor = nps_rows["score"] <= 6
    assert (silent & detractor).sum() >= 100
    assert (silent & detractor & (nps_rows["text"] == "")).sum() >= 30
    assert (silent & detractor & (nps_rows["text"] != "")).sum() >= 30
    cell = (nps_rows["segment"] == info["segment"]) & (nps_rows["journey_stage"] == info["journey_stage"])
    rate_in = (silent & detractor)[cell].mean()
    rate_out = (silent & detractor)[~cell].mean()
    assert rate_in > 4 * rate_out
    # silence is not the same as unhappiness: most silent answers elsewhere are not detractors
    assert detractor[silent & ~cell].mean() < 0.6


def test_blind_spot_theme_is_frequent_in_complaints_and_absent_from_surveys(sample, truth):
    frame, planted = sample
    theme = planted["scenarios"]["blind_spot"]["theme"]
    data = _valid(frame, truth)
    surveys = data[data["source_type"] == "survey"]
    assert not any(theme in th for th in surveys["themes"])
    cores = {c.split("{")[0].strip().lower()[:40] for bank in BANKS.values() for c in bank.THEMES[theme]}
    lowered = surveys["text"].str.lower()
    assert not any(lowered.str.contains(c, regex=False).any() for c in cores if len(c) > 15)
    contact = data[data["source_type"].isin(["complaint", "ticket"])]
    share = np.mean([theme in th for th in contact["themes"]])
    assert share > 0.08


def test_emerging_theme_appears_only_in_the_last_days(sample, truth):
    frame, planted = sample
    info = planted["scenarios"]["emerging"]
    data = _valid(frame, truth)
    days = data.loc[[info["theme"] in th for th in data["themes"]], "day"]
    end = dt.date.fromisoformat(planted["generator"]["end_date"])
    assert len(days) >= 15
    assert days.min() >= end - dt.timedelta(days=info["window_days"] - 1)


def test_polite_detractors_and_at_risk_promoters(sample, truth):
    frame, planted = sample
    rows = frame.set_index("feedback_id")
    polite = planted["scenarios"]["polite_detractors"]
    at_risk = planted["scenarios"]["at_risk_promoters"]
    assert len(polite) >= 5 and len(at_risk) >= 5
    polarity = {t.id: t.polarity for t in THEMES}
    for fid in polite:
        assert rows.loc[fid, "score_type"] == "nps" and rows.loc[fid, "score"] <= 6
        assert all(polarity[t] == "positive" for t in truth[fid]["themes"])
    for fid in at_risk:
        assert rows.loc[fid, "score_type"] == "nps" and rows.loc[fid, "score"] >= 9
        assert [polarity[t] for t in truth[fid]["themes"]] == ["negative"]


def test_churn_is_higher_for_customers_raising_costly_themes(sample, truth):
    frame, planted = sample
    data = _valid(frame, truth)
    by_customer = data.groupby("customer_id")["churned"].first()

    def uplift(theme: str) -> float:
        raised = set(data.loc[[theme in th for th in data["themes"]], "customer_id"])
        inside = by_customer.index.isin(raised)
        return by_customer[inside].mean() / by_customer[~inside].mean()

    assert uplift("price_increase") > 1.5
    assert uplift("staff_praise") < uplift("price_increase")
    assert uplift("account_security") == max(uplift(t.id) for t in THEMES)


def test_planted_summary_names_every_scenario(sample):
    _, planted = sample
    scenarios = planted["scenarios"]
    for key in (
        "spike",
        "low_volume_high_impact",
        "silent_detractors",
        "blind_spot",
        "emerging",
        "polite_detractors",
        "at_risk_promoters",
        "churn_by_theme",
        "non_responders",
    ):
        assert key in scenarios
    assert len(planted["themes"]) == len(THEMES)
    for theme in planted["themes"]:
        assert set(theme["names"]) == {"pl", "fi", "uk", "en", "de"}
