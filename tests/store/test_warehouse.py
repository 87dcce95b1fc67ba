from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from voc.schemas import RECORD_COLUMNS
from voc.store import Store


def make_records(ids, texts, customers=None, source="s"):
    n = len(ids)
    frame = pd.DataFrame({c: [None] * n for c in RECORD_COLUMNS})
    frame["record_id"] = ids
    frame["source"] = source
    frame["text"] = texts
    frame["text_hash"] = [t.lower() for t in texts]
    frame["customer_id"] = customers or [None] * n
    frame["created_at"] = pd.Timestamp("2026-01-01")
    frame["n_redactions"] = 0
    frame["extra"] = "{}"
    return frame


def test_migrations_are_recorded_and_not_reapplied(tmp_path):
    path = tmp_path / "voc.duckdb"
    with Store(path) as store:
        first = store.query("SELECT version FROM schema_migrations ORDER BY version")["version"].tolist()
    with Store(path) as store:
        assert store.migrate() == []
        again = store.query("SELECT version FROM schema_migrations ORDER BY version")["version"].tolist()
    assert first == again and first[0] == 1


def test_add_records_is_idempotent_and_dedups_same_customer_text(tmp_path):
    with Store(tmp_path / "v.duckdb") as store:
        run = store.start_run(date(2026, 1, 2))
        new = store.add_records(make_records(["a", "b"], ["Late parcel", "Rude agent"], ["c1", "c2"]), run_id=run)
        assert list(new["record_id"]) == ["a", "b"]
        # same ids again: nothing new; same customer + same text under a new id: a duplicate
        again = store.add_records(make_records(["a", "x"], ["Late parcel", "late parcel"], ["c1", "c1"]), run_id=run)
        assert again.empty
        other_customer = store.add_records(make_records(["y"], ["Late parcel"], ["c9"]), run_id=run)
        assert list(other_customer["record_id"]) == ["y"]
        assert store.query("SELECT count(*) n FROM feedback")["n"].item() == 3


def test_failed_transaction_leaves_store_unchanged(tmp_path):
    with Store(tmp_path / "v.duckdb") as store:
        run = store.start_run(date(2026, 1, 2))
        store.add_records(make_records(["a"], ["kept"]), run_id=run)
        with pytest.raises(RuntimeError), store.transaction():
            store.add_records(make_records(["b"], ["lost"]), run_id=run)
            raise RuntimeError("crash mid-run")
        assert store.query("SELECT record_id FROM feedback")["record_id"].tolist() == ["a"]


def test_embedding_cache_round_trip_keeps_model_ids_apart():
    store = Store(":memory:")
    vectors = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    store.put_embeddings(["h1", "h2", "h3"], vectors, "model-a")
    store.put_embeddings(["h1"], vectors[:1] * 0, "model-b")
    got = store.get_embeddings(["h3", "h1", "missing"], "model-a")
    assert set(got) == {"h1", "h3"}
    np.testing.assert_allclose(got["h3"], vectors[2])
    assert np.all(store.get_embeddings(["h1"], "model-b")["h1"] == 0)


def test_replace_night_is_idempotent():
    store = Store(":memory:")
    night = date(2026, 3, 1)
    alerts = pd.DataFrame({"kind": ["spike", "new_theme"], "created_at": [datetime(2026, 3, 1)] * 2})
    store.replace_night("alerts", night, alerts)
    store.replace_night("alerts", night, alerts)
    store.replace_night("alerts", date(2026, 3, 2), alerts.head(1))
    counts = store.query("SELECT night, count(*) n FROM alerts GROUP BY night ORDER BY night")
    assert counts["n"].tolist() == [2, 1]


def test_runs_track_status_and_last_success():
    store = Store(":memory:")
    ok = store.start_run(date(2026, 1, 1))
    store.finish_run(ok, status="succeeded", counts={"n_new": 5})
    bad = store.start_run(date(2026, 1, 2))
    store.finish_run(bad, status="failed")
    last = store.last_run()
    assert last["run_id"] == ok and last["n_new"] == 5


def test_cached_hashes_lists_only_present_vectors_of_that_model():
    store = Store(":memory:")
    store.put_embeddings(["h1", "h2"], np.ones((2, 4), np.float32), "model-a")
    assert store.cached_hashes(["h1", "h3"], "model-a") == {"h1"}
    assert store.cached_hashes(["h1"], "model-b") == set()
