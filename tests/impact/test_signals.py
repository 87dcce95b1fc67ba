"""What customers don't say: each signal finds what was planted in the synthetic frames."""

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from impact_frames import NOW, make_drivers

from voc.config import ImpactSettings
from voc.impact import SIGNALS, SignalResult, detect_signals, register_signal
from voc.impact.signals.silent_detractors import NOTHING_PHRASES, is_empty_comment, likely_theme_mix

SETTINGS = ImpactSettings()


def run(frames, **kw):
    records, rt, themes = frames
    return detect_signals(records, rt, themes, make_drivers(records, rt), now=NOW, settings=SETTINGS, **kw)


def test_registry_holds_the_six_signals_and_rejects_duplicates():
    assert {
        "silent_detractors",
        "score_text_disagreement",
        "unvoiced_high_impact",
        "survey_blind_spots",
        "non_responders",
        "emerging",
    } <= set(SIGNALS)
    with pytest.raises(ValueError, match="already registered"):
        register_signal("emerging")(lambda ctx: None)


def test_plugged_in_and_failing_signals(frames):
    @register_signal("test_count_records")
    def count(ctx):
        return SignalResult("test_count_records", "n", "counts records", summary={"n": len(ctx.records)})

    @register_signal("test_broken")
    def broken(ctx):
        raise RuntimeError("boom")

    try:
        out = run(frames, names=["test_count_records", "test_broken"])
        assert out["test_count_records"].summary["n"] == len(frames[0])
        assert "boom" in out["test_broken"].summary["error"]
        with pytest.raises(KeyError, match="unknown signal"):
            run(frames, names=["nope"])
    finally:
        SIGNALS.pop("test_count_records"), SIGNALS.pop("test_broken")


@pytest.mark.parametrize("lang", sorted(NOTHING_PHRASES))
def test_nothing_phrases_in_every_language(lang):
    phrases = pd.Series([p.upper() + " !" for p in NOTHING_PHRASES[lang]])
    assert is_empty_comment(phrases).all()


def test_real_comments_are_not_empty():
    texts = pd.Series(
        ["nothing to add, but the app is slow", "Brak uwag poza tym, że kurier się spóźnił", "ei toimi", "12345 ..."]
    )
    assert is_empty_comment(texts).tolist() == [False, False, False, True]


def test_silent_detractors_how_many_where_and_likely_themes(frames):
    res = run(frames, names=["silent_detractors"])["silent_detractors"]
    assert res.summary["n_silent_detractors"] == 40
    where = res.summary["where"]
    assert where["segment"]["smb"]["share_of_signal"] == 1.0 and where["segment"]["smb"]["share_of_all"] < 0.7
    assert where["channel"]["phone"]["share_of_signal"] > where["channel"]["phone"]["share_of_all"]
    assert res.summary["likely_themes"][0]["theme_label"] == "delivery delay"
    row = res.table.iloc[0]
    assert (row["segment"], row["channel"], row["n_silent"]) == ("smb", "phone", 40)
    assert len(res.examples) > 0 and is_empty_comment(res.examples["text"]).all()
    assert "similar customers" in res.explanation


def test_likely_theme_mix_widens_small_cells():
    silent = pd.DataFrame({"segment": ["a", "b"], "channel": ["x", "y"], "journey_stage": ["s", "s"]})
    peers = pd.DataFrame(
        {
            "segment": ["a"] * 6 + ["b"],
            "channel": ["x"] * 6 + ["z"],
            "journey_stage": ["s"] * 7,
            "theme_id": [1, 1, 1, 2, 2, 2, 3],
        }
    )
    mix, per_record = likely_theme_mix(silent, peers, min_peers=5)
    assert per_record.loc[0, "level"] == "segment+channel+journey_stage"
    assert per_record.loc[1, "level"] == "(all)"  # segment b has one commenting peer only
    assert mix.sum() == pytest.approx(1.0)


def test_score_text_disagreement(frames):
    res = run(frames, names=["score_text_disagreement"])["score_text_disagreement"]
    table = res.table.set_index("theme_label")
    assert table.loc["friendly staff", "n_polite_detractors"] == 6
    assert table.loc["delivery delay", "n_at_risk_promoters"] >= 6
    assert res.summary["n_polite_detractors"] == 6
    assert set(res.examples["kind"]) == {"polite_detractor", "at_risk_promoter"}


def test_unvoiced_high_impact_names_the_quiet_theme(frames):
    res = run(frames, names=["unvoiced_high_impact"])["unvoiced_high_impact"]
    assert res.table.iloc[0]["theme_label"] == "data breach"
    assert "delivery delay" not in set(res.table["theme_label"])  # loud, not quiet


def test_unvoiced_works_without_drivers(frames):
    records, rt, themes = frames
    res = detect_signals(
        records, rt, themes, pd.DataFrame(), now=NOW, settings=SETTINGS, names=["unvoiced_high_impact"]
    )
    assert res["unvoiced_high_impact"].table.iloc[0]["theme_label"] == "data breach"


def test_survey_blind_spot(frames):
    res = run(frames, names=["survey_blind_spots"])["survey_blind_spots"]
    missing = res.table.loc[res.table["direction"] == "missing_from_surveys"]
    assert missing["theme_label"].tolist() == ["app crashes"]
    assert set(missing.iloc[0]["other_sources"]) == {"ticket", "complaint"}
    assert (res.examples["source_type"] != "survey").all()


def test_blind_spots_need_both_kinds_of_source(frames):
    records, rt, themes = frames
    surveys = records.loc[records["source_type"] == "survey"]
    res = detect_signals(surveys, rt, themes, pd.DataFrame(), now=NOW, settings=SETTINGS, names=["survey_blind_spots"])
    assert res["survey_blind_spots"].table.empty and "note" in res["survey_blind_spots"].summary


def test_non_responders(frames):
    records, rt, themes = frames
    rng = np.random.default_rng(5)
    responders = records.loc[records["score"].notna(), "customer_id"].unique()[:200]
    customers = pd.DataFrame(
        {
            "customer_id": list(responders) + [f"silent{i}" for i in range(200)],
            "value": np.r_[rng.uniform(100, 500, 200), rng.uniform(400, 900, 200)],
            "churned": np.r_[rng.random(200) < 0.05, rng.random(200) < 0.4],
            "segment": ["a", "b"] * 200,
        }
    )
    res = run(frames, names=["non_responders"], customers=customers)["non_responders"]
    overall = res.table.iloc[0]
    assert overall["segment"] == "(all)" and overall["n_non_responders"] == 200
    assert overall["churn_rate_non_responders"] > overall["churn_rate_responders"] and overall["churn_p_value"] < 0.001
    assert overall["mean_value_non_responders"] > overall["mean_value_responders"]
    assert set(res.table["segment"]) == {"(all)", "a", "b"}
    assert run(frames, names=["non_responders"])["non_responders"].table.empty


def test_emerging_new_theme_and_growing_pool(frames):
    records, rt, themes = frames
    themes = pd.concat(
        [
            themes,
            pd.DataFrame(
                [
                    {
                        "theme_id": 9,
                        "label": "new fee",
                        "status": "emerging",
                        "born_at": pd.Timestamp(NOW - timedelta(days=2)),
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    extra = records.iloc[:60].copy()
    extra["record_id"] = [f"u{i}" for i in range(60)]
    extra["text"] = "something new nobody has named"
    extra["created_at"] = [pd.Timestamp(NOW) - timedelta(days=float(d)) for d in np.linspace(0.1, 6, 60)]
    res = detect_signals(
        pd.concat([records, extra], ignore_index=True),
        rt,
        themes,
        pd.DataFrame(),
        now=NOW,
        settings=SETTINGS,
        names=["emerging"],
    )["emerging"]
    assert res.summary["new_themes"] == ["new fee"]
    assert res.summary["unassigned_growing"] is True
    assert set(res.table["kind"]) == {"new_theme", "unassigned_pool"}
    calm = run(frames, names=["emerging"])["emerging"]
    assert calm.table.empty and calm.summary["unassigned_growing"] is False


def test_everything_runs_on_minimal_columns(frames):
    """Inputs without segment, channel, journey stage, customers, churn or source type still work."""
    from voc.config import AlertSettings
    from voc.impact import detect_alerts, rank_priorities

    records, rt, themes = frames
    minimal = records[["record_id", "text", "created_at", "score", "score_type"]]
    out = detect_signals(minimal, rt, themes[["theme_id", "label"]], pd.DataFrame(), now=NOW, settings=SETTINGS)
    assert not any("error" in r.summary for r in out.values()), {k: r.summary.get("error") for k, r in out.items()}
    assert out["silent_detractors"].summary["n_silent_detractors"] == 40
    ranked = rank_priorities(minimal, rt, pd.DataFrame(), pd.DataFrame(), settings=SETTINGS, now=NOW)
    assert ranked["churn_uplift"].isna().all() and len(ranked) == 5
    alerts = detect_alerts(minimal, rt, pd.DataFrame(), history=None, settings=AlertSettings(), now=NOW)
    assert alerts["theme_id"].tolist() == [1]


def test_first_night_themes_with_old_mentions_are_not_new(frames):
    """On a first night every theme is born tonight; only those first raised recently are new."""
    records, rt, themes = frames
    tonight = themes.assign(born_at=pd.Timestamp(NOW - timedelta(hours=1)))
    res = detect_signals(records, rt, tonight, pd.DataFrame(), now=NOW, settings=SETTINGS, names=["emerging"])[
        "emerging"
    ]
    assert res.summary["new_themes"] == []
    billing = records["record_id"].isin(rt.loc[rt["theme_id"] == 1, "record_id"])
    only_recent = records.loc[~billing | (records["created_at"] > NOW - timedelta(days=1))]  # only the burst is left
    res = detect_signals(only_recent, rt, tonight, pd.DataFrame(), now=NOW, settings=SETTINGS, names=["emerging"])[
        "emerging"
    ]
    assert res.summary["new_themes"] == ["billing error"]


def test_unvoiced_orders_equal_gaps_by_the_evidence_behind_them(frames):
    """Two quiet themes whose mentioners are all detractors: the one with more answers comes first."""
    records, rt, themes = frames
    sizes = {7: 6, 8: 14}
    theme_of = np.repeat(list(sizes), list(sizes.values()))
    extra = pd.concat([records.iloc[[0]]] * len(theme_of), ignore_index=True)
    extra["record_id"] = [f"q{i}" for i in range(len(extra))]
    extra["customer_id"] = extra["record_id"]
    extra = extra.assign(text="x", score=0.0, score_type="nps", churned=False)
    mentions = pd.DataFrame(
        {"record_id": extra["record_id"], "theme_id": theme_of, "is_primary": True, "n_units": 1, "sentiment": -0.9}
    )
    labels = pd.DataFrame(
        {"theme_id": [7, 8], "label": ["small", "larger"], "status": "active", "born_at": pd.Timestamp("2024-01-01")}
    )
    res = detect_signals(
        pd.concat([records, extra], ignore_index=True),
        pd.concat([rt, mentions], ignore_index=True),
        pd.concat([themes, labels], ignore_index=True),
        pd.DataFrame(),
        now=NOW,
        settings=SETTINGS,
        names=["unvoiced_high_impact"],
    )["unvoiced_high_impact"]
    order = res.table["theme_label"].tolist()
    assert order.index("larger") < order.index("small")
