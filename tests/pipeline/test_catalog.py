"""The data catalogue: names resolve to datasets or in-memory values; each DuckDB dataset round-trips;
steps run on frames with no store, whichever dataset class backs a name."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from voc.pipeline import assemble, nodes
from voc.pipeline.catalog import CachedDataset, DataCatalog, DatasetError, nightly_catalog
from voc.pipeline.core import Node, run_nodes
from voc.pipeline.datasets import (
    EmbeddingCacheTable,
    FeedbackTable,
    LastRecordDate,
    NightRows,
    NightTable,
    QuarantineTable,
    ReadOnlyError,
    RunRecords,
    TableRows,
)
from voc.pipeline.night import AnalysisClock
from voc.schemas import QUARANTINE_COLUMNS, RECORD_COLUMNS
from voc.store import Store

NIGHT = date(2026, 3, 2)


@pytest.fixture()
def store():
    with Store(":memory:") as s:
        yield s


def records(*texts: str, day: str = "2026-03-02") -> pd.DataFrame:
    frame = pd.DataFrame({c: [None] * len(texts) for c in RECORD_COLUMNS})
    frame["record_id"] = [f"r{i}" for i in range(len(texts))]
    frame["source"] = "survey"
    frame["text"] = list(texts)
    frame["text_hash"] = [f"h-{t}" for t in texts]
    frame["created_at"] = pd.Timestamp(day)
    frame["language"] = "en"
    return frame


class MemoryTable:
    """A dataset that is neither DuckDB nor a file: what another backend needs is these two methods."""

    def __init__(self) -> None:
        self.saved: list[pd.DataFrame] = []

    def load(self) -> pd.DataFrame:
        return pd.concat(self.saved, ignore_index=True) if self.saved else pd.DataFrame()

    def save(self, data: pd.DataFrame) -> None:
        self.saved.append(data)


def test_names_resolve_to_a_dataset_or_a_value_held_in_memory():
    table = MemoryTable()
    catalog = DataCatalog({"table": table}, {"x": 1})
    catalog.save("table", pd.DataFrame({"a": [1]}))
    catalog.save("y", 2)
    assert catalog.load("table")["a"].tolist() == [1] and table.saved  # went through the dataset
    assert (catalog.load("x"), catalog["y"]) == (1, 2)
    assert set(catalog) == {"table", "x", "y"} and "table" in catalog and "nope" not in catalog
    assert catalog.get("table") is None  # get() never reads storage: only what the run holds
    with pytest.raises(DatasetError, match="'nope'"):
        catalog.load("nope")
    with pytest.raises(DatasetError, match="both"):
        DataCatalog({"x": table}, {"x": 1})


def test_a_cached_dataset_is_read_once_and_hands_on_the_saved_object():
    class Counting(MemoryTable):
        loads = 0

        def load(self) -> pd.DataFrame:
            Counting.loads += 1
            return super().load()

    cached = CachedDataset(Counting())
    assert not cached.held
    cached.load(), cached.load()
    assert Counting.loads == 1 and cached.held
    frame = pd.DataFrame({"a": [1, 2]})
    cached.save(frame)
    assert cached.load() is frame and Counting.loads == 1


def test_feedback_keeps_unseen_records_and_new_records_reads_back_this_runs(store):
    run_id = store.start_run(NIGHT)
    feedback, new = FeedbackTable(store, run_id=run_id), RunRecords(store, run_id=run_id)
    feedback.save(records("late parcel", "rude agent"))
    assert sorted(feedback.load()["text"]) == ["late parcel", "rude agent"]
    assert list(feedback.load().columns) == list(RECORD_COLUMNS)
    assert sorted(new.load()["record_id"]) == ["r0", "r1"] and set(new.load()["version"]) == {1}
    rerun = store.start_run(NIGHT)
    FeedbackTable(store, run_id=rerun).save(records("late parcel", "rude agent, again"))  # r1 edited
    again = RunRecords(store, run_id=rerun).load()
    assert again[["record_id", "version"]].values.tolist() == [["r1", 2]]
    assert nodes.count_stored(nodes.Ingested(records("a", "b"), pd.DataFrame()), again).stats == {
        "edited": 1,
        "new_records": 0,
        "already_stored": 1,
    }
    assert LastRecordDate(store).load() == NIGHT
    with pytest.raises(ReadOnlyError):
        new.save(records("x"))


def test_quarantine_round_trip_replaces_an_earlier_attempt(store):
    run_id = store.start_run(NIGHT)
    table = QuarantineTable(store, run_id=run_id)
    rows = pd.DataFrame([["f.csv", 3, "text", "empty text", "{}"]], columns=list(QUARANTINE_COLUMNS))
    table.save(rows)
    table.save(rows.assign(source_row=4))
    back = table.load()
    assert back[list(QUARANTINE_COLUMNS)].values.tolist() == [["f.csv", 4, "text", "empty text", "{}"]]


def test_keyed_tables_round_trip(store):
    units = pd.DataFrame(
        {
            "unit_id": ["r0#0", "r0#1"],
            "record_id": ["r0", "r0"],
            "unit_index": [0, 1],
            "text": ["late parcel", "rude agent"],
            "language": ["en", "en"],
            "text_hash": ["h0", "h1"],
        }
    )
    table = TableRows(store, "units", on_conflict="ignore")
    table.save(units)
    table.save(units.assign(text="changed"))  # ignored: units are keyed by id
    pd.testing.assert_frame_equal(table.load().sort_values("unit_id").reset_index(drop=True), units, check_dtype=False)
    scores = TableRows(store, "unit_scores", on_conflict="replace")
    scores.save(pd.DataFrame({"unit_id": ["r0#0"], "sentiment": [-0.5], "sentiment_label": ["negative"]}))
    scores.save(pd.DataFrame({"unit_id": ["r0#0"], "sentiment": [0.5], "sentiment_label": ["positive"]}))
    assert scores.load()[["unit_id", "sentiment"]].values.tolist() == [["r0#0", 0.5]]


def test_a_night_table_replaces_one_night_and_keeps_the_others(store):
    table = NightTable(store, "alerts")

    def alerts(kind: str, night: date) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "kind": [kind],
                "theme_id": [1],
                "segment": ["all"],
                "created_at": [datetime.combine(night, datetime.min.time())],
            }
        )

    table.save(NightRows(date(2026, 3, 1), alerts("spike", date(2026, 3, 1))))
    table.save(NightRows(NIGHT, alerts("new_theme", NIGHT)))
    table.save(NightRows(NIGHT, alerts("sentiment_drop", NIGHT)))  # a rerun of the night replaces its rows
    table.save(NightRows(date(2026, 3, 3), alerts("spike", date(2026, 3, 3)).iloc[0:0]))  # an empty night
    back = table.load()
    by_night = dict(zip(pd.to_datetime(back["night"]).dt.date, back["kind"]))
    assert by_night == {date(2026, 3, 1): "spike", NIGHT: "sentiment_drop"}
    # the step that reads it is a function of the loaded frame: nights before tonight only
    assert nodes.nights_before(back, NIGHT)["kind"].tolist() == ["spike"]
    assert nodes.nights_before(back, date(2026, 3, 9), latest_only=True)["kind"].tolist() == ["sentiment_drop"]


def test_the_embedding_cache_handle_reads_what_it_wrote(store):
    cache = EmbeddingCacheTable(store).load()
    vectors = np.arange(6, dtype=np.float32).reshape(2, 3)
    cache.put(["a", "b"], vectors, "model-x")
    assert cache.cached(["a", "b", "c"], "model-x") == {"a", "b"}
    np.testing.assert_array_equal(cache.lookup(["b"], "model-x")["b"], vectors[1])
    assert cache.lookup(["a"], "model-y") == {}


def test_steps_run_on_frames_with_no_store_whichever_dataset_backs_a_name():
    """The history window and the rank comparison from in-memory tables, through the same node
    runner and catalogue a night uses; swapping DuckDB for another dataset class changes no step."""
    feedback = MemoryTable()
    feedback.save(records("before", "tonight", day="2026-03-02 23:00"))
    feedback.save(records("later", day="2026-03-05").assign(record_id="r9"))
    priorities = MemoryTable()
    priorities.save(pd.DataFrame({"night": [pd.Timestamp("2026-03-01")] * 2, "theme_id": [1, 2], "rank": [1, 2]}))
    catalog = DataCatalog({"db.feedback": feedback, "db.priorities": priorities}, {"night": NIGHT})
    pipeline = [
        Node("clock", AnalysisClock, ("night",), ("clock",)),
        Node("load_history", nodes.window_history, ("db.feedback", "clock"), ("history",)),
        Node("previous", assemble.previous_priorities, ("db.priorities", "night"), ("previous_priorities",)),
    ]
    run_nodes(pipeline, catalog)
    assert sorted(catalog["history"]["record_id"]) == ["r0", "r1"]
    assert catalog["previous_priorities"]["theme_id"].tolist() == [1, 2]


def test_the_nightly_catalogue_backs_every_table_a_night_reads_or_writes(tmp_path: Path):
    from voc.config import Settings
    from voc.pipeline import NIGHTLY
    from voc.pipeline.run_context import RunContext

    settings = Settings(db_path=tmp_path / "voc.duckdb", cache_dir=tmp_path / "cache")
    context = RunContext.open(settings, night=NIGHT, out_dir=None, refit=False)
    try:
        catalog = nightly_catalog(context)
        assert context.cache_dir == tmp_path / "cache" and context.out_dir == settings.out_dir
        assert catalog["params:themes"] is settings.themes and catalog["run_id"] == context.run_id
        assert catalog["night"] == NIGHT
        produced = {name for node in NIGHTLY for name in node.outputs}
        stored = {name for name in catalog.datasets if name in produced}
        assert stored >= {"db.feedback", "db.quarantine", "units", "theme_changes", "db.priorities", "db.alerts"}
        catalog.save("night", date(2026, 3, 1))  # a later decision moves the run's row
        assert store_night(context.store, context.run_id) == date(2026, 3, 1)
    finally:
        context.store.close()


def store_night(store: Store, run_id: str) -> date:
    return pd.Timestamp(store.query("SELECT night FROM runs WHERE run_id = ?", [run_id])["night"].iloc[0]).date()
