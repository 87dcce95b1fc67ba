"""Without --night, a run describes today, or the last day with data when that is earlier."""

from __future__ import annotations

from datetime import date

from voc.pipeline.datasets import LastRecordDate, RunNight
from voc.pipeline.night import resolve_night
from voc.store import Store

TODAY = date(2026, 3, 10)


def _store_with_records(tmp_path, *days: str) -> Store:
    store = Store(tmp_path / "voc.duckdb")
    for i, day in enumerate(days):
        store.execute(
            "INSERT INTO feedback (record_id, source, text, text_hash, created_at, run_id, ingested_at) "
            "VALUES (?, 's', 't', 'h', ?, 'r0', now())",
            [f"r{i}", day],
        )
    return store


def test_night_defaults_to_the_last_day_with_data_and_says_so(tmp_path, caplog):
    store = _store_with_records(tmp_path, "2026-02-20 10:00", "2026-03-02 23:59")
    run_id = store.start_run(TODAY)
    with caplog.at_level("WARNING", logger="voc.pipeline.night"):
        night = resolve_night(TODAY, None, LastRecordDate(store).load(), today=TODAY)
    assert night == date(2026, 3, 2)
    assert "2026-03-02" in caplog.text and "before today" in caplog.text
    run_night = RunNight(store, run_id=run_id, night=TODAY)
    run_night.save(night)  # what the catalogue does with the node's output
    assert store.query("SELECT night FROM runs")["night"].iloc[0].date() == night  # the run row follows
    assert run_night.load() == night
    store.close()


def test_a_given_night_or_current_data_keep_their_night(tmp_path):
    store = _store_with_records(tmp_path, "2026-03-10 01:00")
    last = LastRecordDate(store).load()
    assert resolve_night(TODAY, None, last, today=TODAY) == TODAY
    assert resolve_night(TODAY, date(2026, 1, 5), last, today=TODAY) == date(2026, 1, 5)
    empty = Store(tmp_path / "empty.duckdb")
    assert resolve_night(TODAY, None, LastRecordDate(empty).load(), today=TODAY) == TODAY
    store.close()
    empty.close()
