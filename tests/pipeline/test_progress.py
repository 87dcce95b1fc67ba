"""Progress says where a night is: step i/n, counts, elapsed and an estimate; plain lines off a terminal."""

from __future__ import annotations

import json
import logging

import pytest

from voc.pipeline import progress as progress_module
from voc.pipeline.progress import NightProgress, expected_seconds, format_seconds, progress_bar

STEPS = [("ingest", "read sources"), ("embed", "embed units"), ("fit_themes", "assign themes"), ("outputs", "write")]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_status_line_names_the_step_its_position_and_what_is_left():
    clock = FakeClock()
    night = NightProgress(STEPS, expected={"ingest": 10, "embed": 60, "fit_themes": 20, "outputs": 10}, clock=clock)
    night.start("ingest")
    clock.now = 20.0  # tonight runs twice as slow as last night
    night.finish("ingest", 20.0)
    line = night.start("embed")
    assert line.startswith("step 2/4 embed: embed units")
    assert "20s elapsed" in line
    # last night's remaining 90 s, scaled by tonight's pace (x2)
    assert night.remaining() == pytest.approx(180.0)
    assert "about 3m00s left" in line
    clock.now = 50.0
    assert night.remaining() == pytest.approx(150.0)  # 30 s of the embed step already spent


def test_without_a_previous_night_the_estimate_comes_from_tonights_steps():
    clock = FakeClock()
    night = NightProgress(STEPS, clock=clock)
    assert night.remaining() is None and "left" not in night.start("ingest")
    clock.now = 8.0
    night.finish("ingest", 8.0)
    assert night.remaining() == pytest.approx(24.0)


def test_plain_lines_carry_counts_percentage_and_estimate(caplog):
    clock = FakeClock()
    night = NightProgress(STEPS, plain=True, clock=clock)
    with caplog.at_level(logging.INFO, logger="voc.progress"):
        night.start("ingest")
        clock.now = 4.0
        night.finish("ingest", 4.0, {"records": 1500})
    lines = [r.getMessage() for r in caplog.records if r.name == "voc.progress"]
    assert lines[0] == "progress step=ingest index=1/4 elapsed_s=0"
    assert lines[1] == "progress step=ingest done=1/4 pct=25 seconds=4.00 elapsed_s=4 eta_s=12 records=1500"


def test_a_long_step_logs_its_count_off_a_terminal_and_nothing_when_off(caplog, monkeypatch):
    monkeypatch.setattr(progress_module.sys.stderr, "isatty", lambda: False, raising=False)
    with caplog.at_level(logging.INFO, logger="voc.progress"):
        with progress_bar("embedding", total=1000, mode="auto") as advance:
            for _ in range(100):
                advance(10)
        quiet = len(caplog.records)
        with progress_bar("embedding", total=1000, mode="off") as advance:
            advance(1000)
    lines = [r.getMessage() for r in caplog.records]
    assert 10 <= quiet <= 11  # one line per tenth, not per batch
    assert len(caplog.records) == quiet
    assert lines[-1].startswith("progress task=embedding done=1000 total=1000 pct=100")


def test_expected_seconds_reads_the_last_runs_summary():
    assert expected_seconds({"summary": json.dumps({"seconds": {"embed": 3.5}, "error": None})}) == {"embed": 3.5}
    assert expected_seconds(None) == {} and expected_seconds({"summary": "not json"}) == {}
    assert (format_seconds(42), format_seconds(185), format_seconds(3720)) == ("42s", "3m05s", "1h02m")
