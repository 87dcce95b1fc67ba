"""Analysts' edits: applied at once, replayed after every run and refit, exported and imported."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
import yaml
from test_themes_pipeline import comments_frame, embed_units, run_night, theme_of_truth
from typer.testing import CliRunner

from voc.store import Store
from voc.themes.cli import themes_app
from voc.themes.curation import (
    CurationError,
    delete_theme,
    export_curation,
    import_curation,
    load_edits,
    merge_themes,
    rename_theme,
    split_theme,
)
from voc.themes.pipeline import describer, load_unit_vectors, reapply_curation
from voc.themes.registry import load_assignments, load_themes


def units_with_hashes(units: pd.DataFrame) -> pd.DataFrame:
    return units.assign(text_hash=[hashlib.sha1(t.encode("utf-8")).hexdigest() for t in units["text"]])


def night(store, units, **kw):
    """A run as the nightly flow does it: embeddings cached in the store, then the themes step."""
    units = units_with_hashes(units)
    store.put_embeddings(units["text_hash"].tolist(), embed_units(units), "test-e5")
    return run_night(store, units, **kw)


@pytest.fixture()
def store():
    with Store(":memory:") as s:
        yield s


@pytest.fixture()
def history(store):
    units = comments_frame(last=3)
    update = night(store, units)
    return units, update, theme_of_truth(update, units)


def public(update) -> pd.DataFrame:
    return update.themes.set_index("theme_id")


def test_rename_is_immediate_and_survives_a_refit(store, history):
    units, _, ids = history
    rename_theme(store, ids["delivery"], "Late parcels")
    stored = load_themes(store).set_index("theme_id")
    assert stored.loc[ids["delivery"], "custom_label"] == "Late parcels"
    everything = comments_frame()
    refitted = night(store, everything, night=8)
    assert refitted.refitted
    assert theme_of_truth(refitted, everything)["delivery"] == ids["delivery"]
    assert public(refitted).loc[ids["delivery"], "label"] == "Late parcels"
    assert bool(public(refitted).loc[ids["delivery"], "curated"])


def test_merge_moves_units_now_tonight_and_after_a_refit(store, history):
    units, _, ids = history
    merge_themes(store, ids["app"], ids["delivery"])
    stored = load_assignments(store).merge(units[["unit_id", "truth"]], on="unit_id")
    assert set(stored.loc[stored["truth"] == "app", "theme_id"]) == {ids["delivery"]}
    everything = comments_frame()
    tonight = night(store, everything, night=1)
    landed = tonight.units.merge(everything[["unit_id", "truth"]], on="unit_id")
    new_app = landed[(landed["truth"] == "app") & ~landed["unit_id"].isin(units["unit_id"])]
    assert (new_app["theme_id"] == ids["delivery"]).all()
    assert ids["app"] not in public(tonight).index
    refitted = night(store, everything, night=2, refit=True)
    landed = refitted.units.merge(everything[["unit_id", "truth"]], on="unit_id")
    assert (landed.loc[landed["truth"] == "app", "theme_id"] == ids["delivery"]).mean() >= 0.9
    registry = load_themes(store).set_index("theme_id")
    assert registry.loc[ids["app"], "status"] == "merged" and registry.loc[ids["app"], "merged_into"] == ids["delivery"]


def test_deleted_theme_stays_hidden_and_its_units_unassigned(store, history):
    units, _, ids = history
    delete_theme(store, ids["rude"])
    everything = comments_frame()
    for n, refit in ((1, None), (2, True)):
        update = night(store, everything, night=n, refit=refit)
        landed = update.units.merge(everything[["unit_id", "truth"]], on="unit_id")
        assert (landed.loc[landed["truth"] == "rude", "theme_id"] == -1).mean() >= 0.9
        assert ids["rude"] not in public(update).index
        assert ids["rude"] not in set(update.record_themes["theme_id"])


def test_split_divides_a_mixed_theme_and_survives_a_refit(store, history):
    units, _, ids = history
    merge_themes(store, ids["app"], ids["refund"])  # one theme now mixes two issues
    children = split_theme(
        store,
        ids["refund"],
        k=2,
        vectors_for=lambda a: load_unit_vectors(store, a, model_cls=_model_cls()),
        describe=describer(store),
    )
    assert len(children) == 2 and min(children) > max(ids.values())

    def purity(assignments) -> float:
        mixed = assignments.merge(units[["unit_id", "truth"]], on="unit_id")
        mixed = mixed[mixed["truth"].isin(["app", "refund"])]
        assert set(mixed["theme_id"]) == set(children)
        return pd.crosstab(mixed["theme_id"], mixed["truth"]).max(axis=1).sum() / len(mixed)

    assert purity(load_assignments(store)) >= 0.9
    registry = load_themes(store).set_index("theme_id")
    assert registry.loc[ids["refund"], "status"] == "split"
    assert all(isinstance(registry.loc[c, "generated_label"], str) for c in children)
    refitted = night(store, comments_frame(), night=2, refit=True)
    assert set(children) <= set(public(refitted).index)
    assert ids["refund"] not in public(refitted).index
    assert purity(refitted.units) >= 0.9


def _model_cls():
    from test_themes_pipeline import StandInModel

    return StandInModel


def test_edits_that_cannot_apply_are_refused(store, history):
    _, update, ids = history
    with pytest.raises(CurationError, match="no theme 999"):
        rename_theme(store, 999, "x")
    with pytest.raises(CurationError, match="into itself"):
        merge_themes(store, ids["app"], ids["app"])
    delete_theme(store, ids["app"])
    with pytest.raises(CurationError, match="deleted"):
        merge_themes(store, ids["app"], ids["rude"])
    parents = update.themes.loc[update.themes["level"] == 2, "theme_id"]
    if len(parents):
        with pytest.raises(CurationError, match="different levels"):
            merge_themes(store, ids["rude"], int(parents.iloc[0]))
    assert [e["action"] for e in load_edits(store)] == ["delete"]


def test_yaml_round_trip_rebuilds_the_same_curated_themes(tmp_path, store, history):
    units, _, ids = history
    rename_theme(store, ids["delivery"], "Dostawa – opóźnienia / Затримка")
    merge_themes(store, ids["app"], ids["rude"])
    split_theme(store, ids["refund"], k=2, vectors_for=lambda a: load_unit_vectors(store, a, model_cls=_model_cls()))
    file = export_curation(store, tmp_path / "curation.yaml")
    document = yaml.safe_load(file.read_text(encoding="utf-8"))
    assert [e["action"] for e in document["edits"]] == ["rename", "merge", "split"]
    assert "Затримка" in file.read_text(encoding="utf-8")  # written as letters, not escapes
    original = night(store, units, night=1)

    with Store(":memory:") as other:
        night(other, units)
        assert import_curation(other, file) == 3
        assert [(e["action"], e["payload"]) for e in load_edits(other)] == [
            (e["action"], e["payload"]) for e in load_edits(store)
        ]
        rebuilt = night(other, units, night=1)
    pd.testing.assert_frame_equal(rebuilt.units, original.units)
    columns = ["label", "status", "parent_id", "n_units"]
    pd.testing.assert_frame_equal(
        rebuilt.themes.set_index("theme_id")[columns], original.themes.set_index("theme_id")[columns]
    )


def test_imported_edits_apply_at_once(tmp_path, store, history):
    units, _, ids = history
    file = tmp_path / "c.yaml"
    with Store(":memory:") as source:
        night(source, units)
        rename_theme(source, ids["app"], "Crashing app")
        delete_theme(source, ids["rude"])
        export_curation(source, file)
    import_curation(store, file)
    assert reapply_curation(store, model_cls=_model_cls())
    registry = load_themes(store).set_index("theme_id")
    assert registry.loc[ids["app"], "custom_label"] == "Crashing app"
    assert registry.loc[ids["rude"], "status"] == "deleted" and registry.loc[ids["rude"], "n_units"] == 0
    stored = load_assignments(store).merge(units[["unit_id", "truth"]], on="unit_id")
    assert (stored.loc[stored["truth"] == "rude", "theme_id"] == -1).all()


def test_import_names_the_bad_entry(tmp_path, store):
    file = tmp_path / "bad.yaml"
    file.write_text("edits:\n  - action: rename\n    theme_id: 1\n", encoding="utf-8")
    with pytest.raises(CurationError, match=r"bad.yaml: edit 1 \(rename\) needs `name`"):
        import_curation(store, file)


def test_cli_lists_shows_and_renames(tmp_path):
    db = tmp_path / "voc.duckdb"
    with Store(db) as store:
        units = comments_frame(last=3)
        ids = theme_of_truth(night(store, units), units)
    runner = CliRunner()
    listed = runner.invoke(themes_app, ["list", "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    assert str(ids["delivery"]) in listed.output
    renamed = runner.invoke(themes_app, ["rename", str(ids["delivery"]), "Late parcels", "--db", str(db)])
    assert renamed.exit_code == 0, renamed.output
    shown = runner.invoke(themes_app, ["show", str(ids["delivery"]), "--db", str(db)], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "Late parcels" in shown.output and "rename" in shown.output
    missing = runner.invoke(themes_app, ["merge", "999", str(ids["delivery"]), "--db", str(db)])
    assert missing.exit_code == 1 and "no theme 999" in missing.output
    out = tmp_path / "c.yaml"
    assert runner.invoke(themes_app, ["export", str(out), "--db", str(db)]).exit_code == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["edits"][0]["name"] == "Late parcels"
