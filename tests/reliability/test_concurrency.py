"""A killed night and two nights at once: the previous state survives, the stale run is closed,
the rerun reports true counts, and a second writer waits for the lock or stops with one sentence."""

from __future__ import annotations

import signal

import pytest

from voc.errors import StoreLockedError, TransientError
from voc.store import Store


def _rows(kit, start: int, n: int) -> list[list[str]]:
    return [[str(i), kit.comment(i)] for i in range(start, start + n)]


def test_killed_night_leaves_the_previous_state_and_the_rerun_counts_true(cli, kit, tmp_path):
    first = kit.write_csv(tmp_path / "first.csv", ["id", "text"], _rows(kit, 0, 15))
    assert cli.run(first, args=["--id-column", "id"], night="2026-01-30").exit_code == 0
    before = cli.query("SELECT record_id, text FROM feedback ORDER BY record_id")
    second = kit.write_csv(tmp_path / "second.csv", ["id", "text"], _rows(kit, 0, 25))  # 10 new

    # killed after its records were written (inside the night's transaction), before any analysis
    proc, _ = kit.start_child_night(tmp_path, cli.db, second, "2026-01-31", "units", "kill")
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert cli.query("SELECT record_id, text FROM feedback ORDER BY record_id").equals(before)
    assert cli.query("SELECT status FROM runs ORDER BY started_at")["status"].tolist() == ["succeeded", "running"]

    rerun = cli.run(second, args=["--id-column", "id"], night="2026-01-31")
    assert rerun.exit_code == 0, rerun.output
    runs = cli.query("SELECT status, n_new, summary FROM runs ORDER BY started_at")
    assert runs["status"].tolist() == ["succeeded", "failed", "succeeded"]
    assert "interrupted" in runs["summary"].iloc[1]
    assert runs["n_new"].iloc[2] == 10
    assert len(cli.records()) == 25 and cli.records()["sentiment"].notna().all()


#: Every table a night writes, read in a stable order (what "the previous night intact" means).
_NIGHT_TABLES = {
    "feedback": "SELECT record_id, text, version FROM feedback ORDER BY record_id",
    "units": "SELECT unit_id, text FROM units ORDER BY unit_id",
    "unit_themes": "SELECT unit_id, theme_id, model_theme_id FROM unit_themes ORDER BY unit_id",
    "themes": "SELECT theme_id, status, n_units FROM themes ORDER BY theme_id",
    "theme_events": "SELECT event, theme_id FROM theme_events ORDER BY happened_at, theme_id, event",
    "theme_model_state": "SELECT version FROM theme_model_state ORDER BY version",
    "record_scores": "SELECT record_id, sentiment FROM record_scores ORDER BY record_id",
    "priorities": "SELECT night, theme_id, rank FROM priorities ORDER BY night, rank",
    "metrics": "SELECT count(*) AS n FROM metrics",
    "embeddings": "SELECT count(*) AS n FROM embeddings",
}


def test_night_killed_after_embedding_and_themes_leaves_every_table_as_the_previous_night(cli, kit, tmp_path):
    first = kit.write_csv(tmp_path / "first.csv", ["id", "text"], _rows(kit, 0, 15))
    assert cli.run(first, args=["--id-column", "id"], night="2026-01-30").exit_code == 0
    before = {name: cli.query(sql) for name, sql in _NIGHT_TABLES.items()}
    second = kit.write_csv(tmp_path / "second.csv", ["id", "text"], _rows(kit, 0, 25))

    # killed when ranking starts: records, units, embeddings and themes were written in the transaction
    proc, _ = kit.start_child_night(tmp_path, cli.db, second, "2026-01-31", "priorities", "kill")
    assert proc.wait(timeout=300) == -signal.SIGKILL
    for name, sql in _NIGHT_TABLES.items():
        assert cli.query(sql).equals(before[name]), name

    assert cli.run(second, args=["--id-column", "id"], night="2026-01-31").exit_code == 0
    assert cli.query("SELECT status FROM runs ORDER BY started_at")["status"].tolist() == [
        "succeeded",
        "failed",
        "succeeded",
    ]
    assert len(cli.records()) == 25


def test_second_run_stops_with_one_sentence_when_the_store_stays_locked(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "f.csv", ["id", "text"], _rows(kit, 0, 12))
    proc, flag = kit.start_child_night(tmp_path, cli.db, file, "2026-01-31", "units", "hold")
    try:
        result = cli.run(file, args=["--id-column", "id"], env={"VOC_LOCK_TIMEOUT_S": "1"})
        kit.assert_one_sentence(result, "voc.duckdb", "in use by another process", "lock_timeout_s")
        # the library raises the type the flows retry
        with pytest.raises(StoreLockedError) as raised:
            _ = Store(cli.db, lock_timeout_s=0.2).con
        assert isinstance(raised.value, TransientError)
    finally:
        flag.touch()
        proc.wait(timeout=60)
    # the holder failed on purpose: its night rolled back, and the store opens normally again
    assert cli.query("SELECT count(*) FROM feedback").iloc[0, 0] == 0
    assert cli.query("SELECT status FROM runs")["status"].tolist() == ["failed"]


def test_second_run_waits_for_the_lock_and_then_completes(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "f.csv", ["id", "text"], _rows(kit, 0, 12))
    assert cli.run(file, args=["--id-column", "id"], night="2026-01-30").exit_code == 0
    holder = kit.hold_store(cli.db, 2.0)  # another writer that finishes while this run waits
    try:
        result = cli.run(file, args=["--id-column", "id"], env={"VOC_LOCK_TIMEOUT_S": "60"})
        assert holder.poll() is not None  # this run could only start once the holder had let go
    finally:
        holder.wait(timeout=30)
    assert result.exit_code == 0, result.output
    assert cli.query("SELECT status FROM runs ORDER BY started_at")["status"].tolist() == ["succeeded", "succeeded"]
