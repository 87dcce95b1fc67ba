"""A night's themes exported as a BERTopic model: BERTopic loads it and its tools work on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from voc.cli import app
from voc.store import Store

pytestmark = pytest.mark.xdist_group("demo_run")


@pytest.fixture(scope="module")
def exported(demo_run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bertopic") / "model"
    db = demo_run.paths["report"].parent / "voc.duckdb"  # the demo keeps its store beside its outputs
    assert db.exists()
    result = CliRunner().invoke(app, ["themes", "bertopic", str(folder), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return folder, db


def test_bertopic_loads_the_nights_themes_with_their_labels(exported):
    from bertopic import BERTopic

    folder, db = exported
    model = BERTopic.load(str(folder))
    mapping = pd.read_csv(folder / "voc_themes.csv")
    with Store(db, read_only=True) as store:
        assigned = store.query("SELECT DISTINCT theme_id FROM unit_themes WHERE theme_id >= 0").theme_id
        labels = store.query("SELECT theme_id, coalesce(custom_label, generated_label) AS label FROM themes")
    info = model.get_topic_info().set_index("Topic")
    assert set(mapping.theme_id) <= set(assigned) and len(mapping) == len(info.index[info.index >= 0])
    expected = mapping.merge(labels, on="theme_id", suffixes=("", "_store"))
    assert (expected.label == expected.label_store).all()
    assert [info.loc[t, "CustomName"] for t in expected.topic] == expected.label.tolist()
    units = pd.read_parquet(folder / "voc_units.parquet")
    sizes = units[units.topic >= 0].groupby("topic").size()
    assert (info.loc[sizes.index, "Count"] == sizes).all()  # BERTopic counts the units the night assigned


def test_new_vectors_are_assigned_to_the_topic_of_their_theme(exported, embedder):
    from bertopic import BERTopic

    folder, _ = exported
    model = BERTopic.load(str(folder))
    units = pd.read_parquet(folder / "voc_units.parquet")
    themed = units[units.topic >= 0].groupby("topic").head(3)
    topics, _ = model.transform(themed.text.tolist(), embeddings=embedder.encode(themed.text.tolist()))
    assert np.mean(np.asarray(topics) == themed.topic.to_numpy()) >= 0.7


def test_topics_over_time_and_per_language_run_on_the_export(exported):
    from bertopic import BERTopic

    folder, _ = exported
    model = BERTopic.load(str(folder))
    units = pd.read_parquet(folder / "voc_units.parquet")
    per_language = model.topics_per_class(units.text.tolist(), classes=units.language.tolist())
    assert set(per_language.Class) == set(units.language)
    over_time = model.topics_over_time(units.text.tolist(), units.created_at.tolist(), nr_bins=4)
    assert over_time.Frequency.sum() == len(units)
    assert model.visualize_hierarchy(custom_labels=True) is not None


def test_an_empty_store_is_a_clear_error(tmp_path):
    db = tmp_path / "voc.duckdb"
    with Store(db) as store:
        store.migrate()
    result = CliRunner().invoke(app, ["themes", "bertopic", str(tmp_path / "out"), "--db", str(db)])
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "no theme model stored yet" in said and "Traceback" not in said
