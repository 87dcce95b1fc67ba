"""The registry's storage: tables, model state round trip, the public view of themes."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from voc.schemas import THEME_COLUMNS
from voc.store import Store
from voc.themes.registry import (
    decode_state,
    encode_state,
    load_model_state,
    load_themes,
    next_theme_id,
    public_themes,
    save_model_state,
    save_themes,
)

NOW = datetime(2026, 3, 1, 2, 0)


@pytest.fixture()
def store():
    with Store(":memory:") as s:
        yield s


def theme(theme_id, **kw):
    row = {
        "theme_id": theme_id,
        "kind": "theme",
        "generated_label": f"generated {theme_id}",
        "model_status": "active",
        "status": "active",
        "centroid": np.arange(4, dtype=np.float32) + theme_id,
        "n_units": 3,
        "n_records": 2,
        "born_at": NOW,
    }
    row.update(kw)
    return row


def test_migration_creates_the_registry_tables(store):
    for table in ("themes", "theme_events", "unit_themes", "theme_model_state", "curation_edits"):
        assert store.table_columns(table)


def test_model_state_round_trips_arrays_strings_and_scalars(store):
    state = {
        "centroids": np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32),
        "languages": np.array(["pl", "uk", "de"]),
        "threshold": np.float32(0.61),
        "align": "balanced",
        "nested": {"parents": np.array([0, 0, 1])},
    }
    assert decode_state(encode_state(state))["languages"].tolist() == ["pl", "uk", "de"]
    save_model_state(store, state, run_id="r1", at=NOW, model_id="e5")
    save_model_state(store, {**state, "align": "none"}, run_id="r2", at=NOW, model_id="e5")
    stored = load_model_state(store)
    assert stored.version == 2 and stored.run_id == "r2" and stored.model_id == "e5"
    np.testing.assert_array_equal(stored.state["centroids"], state["centroids"])
    np.testing.assert_array_equal(stored.state["nested"]["parents"], state["nested"]["parents"])
    assert stored.state["threshold"] == pytest.approx(0.61) and stored.state["align"] == "none"


def test_state_is_json_not_pickle():
    text = encode_state({"x": np.array([1.5, 2.5])})
    assert text.startswith("{") and "__ndarray__" in text


def test_themes_round_trip_with_centroids(store):
    frame = pd.DataFrame([theme(0), theme(1, parent_id=2), theme(2, kind="parent", centroid=None)])
    save_themes(store, frame)
    loaded = load_themes(store)
    assert loaded["theme_id"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(loaded.loc[1, "centroid"], np.arange(4) + 1)
    assert loaded.loc[2, "centroid"] is None
    assert loaded.loc[1, "parent_id"] == 2
    save_themes(store, frame.iloc[:1])  # replacing the registry leaves no stale rows
    assert load_themes(store)["theme_id"].tolist() == [0]


def test_ids_are_never_reused():
    frame = pd.DataFrame([theme(0), theme(7, status="deleted")])
    assert next_theme_id(frame) == 8
    assert next_theme_id(pd.DataFrame({"theme_id": []})) == 0


def test_public_view_hides_aliases_and_prefers_the_analysts_name():
    frame = pd.DataFrame(
        [
            theme(0, custom_label="Late parcels", parent_id=5),
            theme(1, status="merged", merged_into=0),
            theme(2, status="deleted"),
            theme(3, model_status="retired", status="retired"),
            theme(4, status="emerging", model_status="emerging"),
            theme(5, kind="parent", generated_label="logistics"),
        ]
    )
    out = public_themes(frame).set_index("theme_id")
    assert list(out.reset_index().columns[: len(THEME_COLUMNS)]) == list(THEME_COLUMNS)
    assert sorted(out.index) == [0, 3, 4, 5]
    assert out.loc[0, "label"] == "Late parcels" and bool(out.loc[0, "curated"])
    assert out.loc[4, "label"] == "generated 4" and not bool(out.loc[4, "curated"])
    assert out.loc[0, "parent_label"] == "logistics"
    assert out.loc[5, "level"] == 2 and out.loc[0, "level"] == 1


def test_a_theme_that_received_a_merge_counts_as_curated():
    frame = pd.DataFrame([theme(0), theme(1, status="merged", merged_into=0), theme(2)])
    out = public_themes(frame).set_index("theme_id")
    assert bool(out.loc[0, "curated"]) and not bool(out.loc[2, "curated"])
