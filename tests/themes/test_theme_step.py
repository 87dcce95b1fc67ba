"""The themes step's jobs as pure functions over a loaded state, and the state's save/load round trip."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from by_path import load_module

from voc.store import Store
from voc.themes.pipeline import curate, fit_or_assign, label, settle
from voc.themes.state import load_theme_state, save_theme_changes

kit = load_module("themes_pipeline_kit", Path(__file__).with_name("test_themes_pipeline.py"))


@pytest.fixture()
def store():
    with Store(":memory:") as s:
        yield s


def _fit(state, units, *, night=1, refit=None):
    return fit_or_assign(
        state,
        units,
        kit.embed_units(units),
        settings=kit.SETTINGS,
        run_id=f"night-{night}",
        now=kit.NIGHT + pd.Timedelta(days=night),
        refit=refit,
        model_id="test-e5",
        model_cls=kit.StandInModel,
    )


def _table_counts(store: Store) -> dict[str, int]:
    tables = ("themes", "unit_themes", "theme_events", "theme_model_state")
    return {t: int(store.query(f"SELECT count(*) AS n FROM {t}")["n"].iloc[0]) for t in tables}


def test_fit_or_assign_is_deterministic_given_a_loaded_state_and_writes_nothing(store):
    kit.run_night(store, kit.comments_frame(last=3), night=0)
    state = load_theme_state(store)
    before = _table_counts(store)
    tonight = kit.comments_frame(last=4)  # one new comment per theme and language
    first, second = _fit(state, tonight), _fit(state, tonight)
    assert not first.refitted and first.model is None  # the stored model is reused between refits
    assert first.is_new.sum() == len(tonight) - len(kit.comments_frame(last=3))
    np.testing.assert_array_equal(first.tracked.model_theme_ids, second.tracked.model_theme_ids)
    np.testing.assert_allclose(first.tracked.similarity, second.tracked.similarity)
    pd.testing.assert_frame_equal(
        first.tracked.themes.drop(columns="centroid"), second.tracked.themes.drop(columns="centroid")
    )
    # most new units join the theme their language siblings already hold
    assigned = first.tracked.model_theme_ids[first.is_new]
    assert (assigned >= 0).mean() >= 0.75
    assert _table_counts(store) == before


def test_curate_replays_the_edits_it_is_given_without_a_store(store):
    kit.run_night(store, kit.comments_frame(last=3), night=0)
    state = load_theme_state(store)
    units = kit.comments_frame(last=3)
    fit = _fit(state, units)
    theme = int(pd.Series(fit.tracked.model_theme_ids).mode().iloc[0])
    renamed = curate(fit, [{"action": "rename", "payload": {"theme_id": theme, "name": "Late parcels"}}])
    deleted = curate(fit, [{"action": "delete", "payload": {"theme_id": theme}}])
    row = renamed.registry.set_index("theme_id").loc[theme]
    assert row["custom_label"] == "Late parcels"
    assert (deleted.theme_ids == theme).sum() == 0
    assert (deleted.theme_ids == -1).sum() == (fit.tracked.model_theme_ids == theme).sum() + (
        fit.tracked.model_theme_ids == -1
    ).sum()


def test_saved_changes_load_back_as_the_same_state(store):
    units = kit.comments_frame(last=3)
    empty = load_theme_state(store)
    assert empty.model is None and empty.registry.empty and empty.assignments.empty
    fit = _fit(empty, units, night=0)
    curated = curate(fit, empty.edits)
    update, changes = settle(label(curated, fit, units, settings=kit.SETTINGS), curated, fit, units, run_id="night-0")
    assert fit.refitted and changes.model is not None  # no model yet: the first night fits one

    save_theme_changes(store, changes)
    loaded = load_theme_state(store)

    assert loaded.model is not None and loaded.model.version == 1
    assert (loaded.model.model_id, loaded.model.run_id) == ("test-e5", "night-0")
    assert loaded.model.created_at == changes.model.created_at
    for key, value in changes.model.state.items():
        np.testing.assert_array_equal(np.asarray(loaded.model.state[key]), np.asarray(value))
    plain = ["theme_id", "kind", "generated_label", "status", "parent_id", "n_units", "n_records", "keywords"]
    pd.testing.assert_frame_equal(loaded.registry[plain], changes.registry[plain], check_dtype=False)
    for saved, back in zip(changes.registry["centroid"], loaded.registry["centroid"]):
        np.testing.assert_allclose(back, saved, atol=1e-6)
    columns = ["unit_id", "record_id", "model_theme_id", "theme_id", "run_id"]
    got = loaded.assignments.sort_values("unit_id").reset_index(drop=True)[columns]
    want = changes.assignments.sort_values("unit_id").reset_index(drop=True)[columns]
    pd.testing.assert_frame_equal(got.astype(object), want.astype(object))
    np.testing.assert_allclose(
        loaded.assignments.sort_values("unit_id")["similarity"],
        changes.assignments.sort_values("unit_id")["similarity"],
    )
    # the loaded state drives the next night exactly as the in-memory one would
    tonight = kit.comments_frame(last=4)
    in_memory = replace(loaded, registry=changes.registry, assignments=changes.assignments)
    np.testing.assert_array_equal(
        _fit(loaded, tonight).tracked.model_theme_ids, _fit(in_memory, tonight).tracked.model_theme_ids
    )
    assert update.refitted and set(update.themes["theme_id"]) <= set(loaded.registry["theme_id"])


def test_catalogue_names_replace_keyphrases_and_stay_unique():
    from voc.themes.pipeline import _apply_catalogue_names

    described = pd.DataFrame({"theme_id": [0, 1, 2], "generated_label": ["parcel late", "courier / days", "app crash"]})
    theme_ids = np.array([0] * 9 + [1] * 4 + [2] * 6 + [-1] * 3)
    names = {0: "Delivery speed", 1: "Delivery speed"}

    labelled = _apply_catalogue_names(described, names, theme_ids)

    assert labelled["generated_label"].tolist() == ["Delivery speed", "Delivery speed: courier / days", "app crash"]
    assert described["generated_label"].tolist()[0] == "parcel late"  # the input is left as it was


def test_a_night_between_refits_writes_only_the_assignments_that_changed(store):
    kit.run_night(store, kit.comments_frame(last=3), night=0)
    state = load_theme_state(store)
    tonight = kit.comments_frame(last=4)
    fit = _fit(state, tonight)
    curated = curate(fit, state.edits)
    update, changes = settle(
        label(curated, fit, tonight, settings=kit.SETTINGS), curated, fit, tonight, run_id="night-1"
    )
    assert not fit.refitted
    # the new units, not the ones an earlier night stored with the same theme
    assert set(changes.assignments["unit_id"]) == set(tonight["unit_id"][fit.is_new])
    save_theme_changes(store, changes)
    stored = load_theme_state(store).assignments.set_index("unit_id").loc[tonight["unit_id"]]
    np.testing.assert_array_equal(stored["theme_id"].to_numpy(), curated.theme_ids)
    np.testing.assert_allclose(stored["similarity"].to_numpy(), curated.similarity, atol=1e-6)
    # the same night again changes nothing
    again = _fit(load_theme_state(store), tonight)
    recurated = curate(again, state.edits)
    _, unchanged = settle(
        label(recurated, again, tonight, settings=kit.SETTINGS), recurated, again, tonight, run_id="night-1"
    )
    assert unchanged.assignments.empty
