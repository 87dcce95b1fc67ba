"""compute_survey_metrics on small frames computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from voc.metrics import METRIC_COLUMNS, compute_survey_metrics


def _records(rows):
    frame = pd.DataFrame(rows, columns=["record_id", "created_at", "score", "score_type", "segment"])
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return frame


@pytest.fixture
def small():
    return _records(
        [
            # week of Mon 2024-03-04: nps 10, 9, 3 (segment a), csat 5, 2
            ("r1", "2024-03-04", 10, "nps", "a"),
            ("r2", "2024-03-06", 9, "nps", "a"),
            ("r3", "2024-03-10", 3, "nps", "b"),
            ("r4", "2024-03-05", 5, "csat", "a"),
            ("r5", "2024-03-05", 2, "csat", "b"),
            # week of Mon 2024-03-11: nps 7, 0; ces 6, 2, 5; stars 4, 5
            ("r6", "2024-03-11", 7, "nps", "b"),
            ("r7", "2024-03-12", 0, "nps", "b"),
            ("r8", "2024-03-12", 6, "ces", "a"),
            ("r9", "2024-03-13", 2, "ces", "a"),
            ("r10", "2024-03-13", 5, "ces", "b"),
            ("r11", "2024-03-14", 4, "stars", "a"),
            ("r12", "2024-03-14", 5, "stars", "b"),
            ("r13", "2024-03-14", None, None, "b"),
        ]
    )


def _pick(table, metric, dimension="all", group="all", start=None):
    rows = table[(table.metric == metric) & (table.dimension == dimension) & (table.group == group)]
    rows = rows[rows.period_start.isna()] if start is None else rows[rows.period_start == pd.Timestamp(start)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_columns_and_overall_values(small):
    table = compute_survey_metrics(small, period=None, min_sample=3)
    assert list(table.columns) == list(METRIC_COLUMNS)
    nps = _pick(table, "nps")  # 10, 9, 3, 7, 0: 2 promoters, 2 detractors
    assert (nps.n, nps.value) == (5, 0.0)
    assert _pick(table, "csat").value == pytest.approx(50.0)  # 1 of 2 in the top two boxes
    assert _pick(table, "ces").value == pytest.approx(13 / 3)
    assert _pick(table, "ces_easy").value == pytest.approx(200 / 3)  # 6 and 5 of 6, 2, 5
    assert _pick(table, "stars").value == pytest.approx(4.5)
    assert not nps.small_sample and _pick(table, "csat").small_sample


def test_weeks_start_on_monday_and_split_correctly(small):
    table = compute_survey_metrics(small, period="week")
    first = _pick(table, "nps", start="2024-03-04")  # 10, 9, 3 (Sunday the 10th is still week 1)
    second = _pick(table, "nps", start="2024-03-11")  # 7, 0
    assert (first.n, first.value) == (3, pytest.approx(100 / 3))
    assert (second.n, second.value) == (2, -50.0)


def test_by_segment_and_month(small):
    table = compute_survey_metrics(small, by=["segment"], period=None)
    a = _pick(table, "nps", "segment", "a")
    b = _pick(table, "nps", "segment", "b")
    assert (a.n, a.value) == (2, 100.0)
    assert (b.n, b.value) == (3, pytest.approx(-200 / 3))
    assert set(table.dimension) == {"segment"}  # one view per call, no overall rows repeated
    monthly = compute_survey_metrics(small, by=["segment"], period="month")
    assert _pick(monthly, "nps", "segment", "b", start="2024-03-01").n == 3
    assert monthly.period_start.notna().all()


def test_by_theme_counts_a_record_in_each_theme(small):
    record_themes = pd.DataFrame({"record_id": ["r1", "r3", "r3", "r7"], "theme_id": [1, 1, 2, 2]})
    table = compute_survey_metrics(small, by=["theme"], period=None, record_themes=record_themes)
    assert _pick(table, "nps", "theme", "1").value == 0.0  # 10 and 3
    assert _pick(table, "nps", "theme", "2").value == -100.0  # 3 and 0
    assert table.period_start.isna().all()


def test_no_answers_gives_empty_frame_with_columns():
    frame = _records([("r1", "2024-01-01", None, None, "a")])
    table = compute_survey_metrics(frame)
    assert table.empty and list(table.columns) == list(METRIC_COLUMNS)


def test_small_sample_flag_follows_min_sample(small):
    table = compute_survey_metrics(small, period=None, min_sample=30)
    assert table.small_sample.all()
    assert not compute_survey_metrics(small, period=None, min_sample=1).small_sample.any()


def test_intervals_contain_values(small):
    table = compute_survey_metrics(
        small, by=["segment", "theme"], record_themes=pd.DataFrame({"record_id": ["r1"], "theme_id": [4]})
    )
    assert set(table.dimension) == {"segment", "theme"}
    finite = table.dropna(subset=["ci_low", "ci_high"])
    assert (finite.ci_low <= finite.value + 1e-9).all() and (finite.value <= finite.ci_high + 1e-9).all()


def test_missing_columns_are_named():
    with pytest.raises(KeyError, match="score_type"):
        compute_survey_metrics(pd.DataFrame({"score": [1.0]}), period=None)
    frame = _records([("r1", "2024-01-01", 9, "nps", "a")])
    with pytest.raises(ValueError, match="record_themes"):
        compute_survey_metrics(frame, by=["theme"])


def test_large_sample_interval_width_shrinks():
    rng = np.random.default_rng(0)

    def frame(n):
        return pd.DataFrame(
            {
                "score": rng.integers(0, 11, n).astype(float),
                "score_type": "nps",
                "created_at": pd.Timestamp("2024-01-01"),
            }
        )

    small_width = _pick(compute_survey_metrics(frame(50), period=None), "nps")
    large_width = _pick(compute_survey_metrics(frame(5000), period=None), "nps")
    assert (large_width.ci_high - large_width.ci_low) < (small_width.ci_high - small_width.ci_low) / 5
