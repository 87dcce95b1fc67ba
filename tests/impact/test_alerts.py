"""Alerts: one spike is one alert, cooldown from history, new themes, sentiment drops."""

from datetime import timedelta

import numpy as np
import pandas as pd
from impact_frames import NOW

from voc.config import AlertSettings
from voc.impact import ALERT_COLUMNS, detect_alerts

SETTINGS = AlertSettings()


def alerts(frames, history=None, settings=SETTINGS, themes=None):
    records, rt, default_themes = frames
    return detect_alerts(
        records, rt, default_themes if themes is None else themes, history=history, settings=settings, now=NOW
    )


def test_planted_spike_gives_exactly_one_alert_named_by_segment(frames):
    out = alerts(frames)
    assert tuple(out.columns) == ALERT_COLUMNS
    spikes = out.loc[out["kind"] == "spike"]
    assert spikes["theme_label"].tolist() == ["billing error"]
    spike = spikes.iloc[0]
    assert spike["segment"] == "smb" and spike["observed"] >= 25 and spike["expected"] < 5
    assert spike["p_value"] < SETTINGS.p_value
    assert "billing error" in spike["message"] and "smb" in spike["message"]


def test_cooldown_suppresses_a_repeat_but_not_after_it_ends(frames):
    recent = pd.DataFrame([{"kind": "spike", "theme_id": 1, "segment": "(all)", "created_at": NOW - timedelta(days=1)}])
    assert alerts(frames, history=recent).query("kind == 'spike'").empty
    old = recent.assign(created_at=NOW - timedelta(days=SETTINGS.cooldown_days + 1))
    assert len(alerts(frames, history=old).query("kind == 'spike'")) == 1
    other_theme = recent.assign(theme_id=0)
    assert len(alerts(frames, history=other_theme).query("kind == 'spike'")) == 1


def test_min_count_guards_small_bursts(frames):
    assert alerts(frames, settings=AlertSettings(min_count=40)).query("kind == 'spike'").empty


def test_new_theme_alert_once(frames):
    records, rt, themes = frames
    themes = themes.copy()
    themes.loc[themes["theme_id"] == 2, "born_at"] = pd.Timestamp(NOW - timedelta(days=3))
    out = alerts(frames, themes=themes)
    assert out.loc[out["kind"] == "new_theme", "theme_label"].tolist() == ["data breach"]
    history = out.assign(created_at=NOW - timedelta(days=30))
    assert alerts(frames, themes=themes, history=history).query("kind == 'new_theme'").empty


def test_no_new_theme_alerts_on_a_first_night(frames):
    """Every theme of the registry's first fit is born tonight; none of them is news."""
    records, rt, themes = frames
    themes = themes.assign(born_at=pd.Timestamp(NOW - timedelta(hours=1)))
    assert alerts(frames, themes=themes).query("kind == 'new_theme'").empty
    # a theme emerging on a later night, after that first fit, is
    themes.loc[themes["theme_id"] == 2, "born_at"] = pd.Timestamp(NOW - timedelta(minutes=5))
    assert alerts(frames, themes=themes).query("kind == 'new_theme'")["theme_id"].tolist() == [2]


def test_sentiment_drop(frames):
    records, rt, themes = frames
    recent_ids = set(records.loc[records["created_at"] > pd.Timestamp(NOW) - timedelta(days=7), "record_id"])
    rt = rt.copy()
    hit = rt["record_id"].isin(recent_ids) & (rt["theme_id"] == 4)
    assert hit.sum() >= SETTINGS.min_count
    rt.loc[hit, "sentiment"] = -0.4
    out = detect_alerts(records, rt, themes, history=None, settings=SETTINGS, now=NOW)
    drops = out.loc[out["kind"] == "sentiment_drop"]
    assert drops["theme_label"].tolist() == ["friendly staff"]
    assert drops.iloc[0]["observed"] < drops.iloc[0]["expected"] - SETTINGS.sentiment_drop


def test_quiet_data_give_no_alerts(frames):
    records, rt, themes = frames
    calm = records.loc[~records["text"].eq("charged twice this month")]
    out = detect_alerts(calm, rt, themes, history=None, settings=SETTINGS, now=NOW)
    assert out.empty and tuple(out.columns) == ALERT_COLUMNS


def test_spike_in_one_segment_hidden_in_the_total():
    rng = np.random.default_rng(0)
    rows = []
    for i in range(600):  # theme 0 steady in segments a and b
        rows.append((f"r{i}", "a" if i % 2 else "b", NOW - timedelta(days=float(rng.uniform(1.1, 29)))))
    for i in range(12):  # burst only in small segment c
        rows.append((f"c{i}", "c", NOW - timedelta(hours=float(rng.uniform(1, 20)))))
    records = pd.DataFrame(rows, columns=["record_id", "segment", "created_at"]).assign(text="t", customer_id=None)
    rt = pd.DataFrame(
        {"record_id": records["record_id"], "theme_id": 0, "is_primary": True, "n_units": 1, "sentiment": 0.0}
    )
    out = detect_alerts(records, rt, pd.DataFrame(), history=None, settings=SETTINGS, now=NOW)
    assert out[["kind", "segment"]].values.tolist() == [["spike", "c"]]


def test_timezone_aware_dates_are_read_as_utc(frames):
    records, rt, themes = frames
    aware = records.assign(created_at=records["created_at"].dt.tz_localize("UTC").dt.tz_convert("Europe/Warsaw"))
    a = detect_alerts(aware, rt, themes, history=None, settings=SETTINGS, now=NOW)
    b = detect_alerts(records, rt, themes, history=None, settings=SETTINGS, now=NOW)
    pd.testing.assert_frame_equal(a, b)
