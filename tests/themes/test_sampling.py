"""Fit on a stratified sample, assign the rest in batches (voc.themes.sampling)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from voc.config import ThemeSettings
from voc.store import Store
from voc.themes.model import ThemeModel
from voc.themes.pipeline import fit_or_assign
from voc.themes.sampling import (
    assign_in_batches,
    fit_on_sample,
    stratified_sample,
    unit_strata,
    with_record_strata,
)
from voc.themes.state import load_theme_state


def clustered(n: int, *, k: int = 4, dim: int = 24, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` unit vectors around ``k`` well separated centres, and each one's centre."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, dim))
    truth = rng.integers(0, k, n)
    x = centres[truth] + 0.15 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), truth


def units_frame(n: int, *, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in range(n)],
            "record_id": [f"r{i}" for i in range(n)],
            "text": [f"text {i}" for i in range(n)],
            "language": rng.choice(["en", "pl"], n, p=[0.8, 0.2]),
        }
    )


def test_stratified_sample_keeps_each_strata_share_and_a_floor_for_small_ones():
    strata = np.array(["a"] * 8000 + ["b"] * 1900 + ["c"] * 100)
    rows = stratified_sample(strata, size=1000, seed=3, min_per_stratum=50)
    assert len(rows) == 1000 and len(np.unique(rows)) == 1000 and np.all(np.diff(rows) > 0)
    taken = pd.Series(strata[rows]).value_counts()
    assert taken["c"] >= 50  # the floor: a small stratum is not left with a handful
    # the other 850 in proportion to what is left of each stratum: (7950, 1850, 50) / 9850
    assert abs(taken["a"] - 50 - 850 * 7950 / 9850) <= 1
    assert abs(taken["b"] - 50 - 850 * 1850 / 9850) <= 1


def test_stratified_sample_is_seeded_and_returns_all_rows_when_small():
    strata = np.repeat(["x", "y", "z"], [300, 200, 100])
    assert np.array_equal(stratified_sample(strata, size=120, seed=1), stratified_sample(strata, size=120, seed=1))
    assert not np.array_equal(stratified_sample(strata, size=120, seed=1), stratified_sample(strata, size=120, seed=2))
    assert np.array_equal(stratified_sample(strata, size=10_000), np.arange(600))
    with pytest.raises(ValueError, match="positive"):
        stratified_sample(strata, size=0)


def test_unit_strata_combine_language_source_and_week():
    units = pd.DataFrame(
        {
            "language": ["en", "en", "pl", None],
            "source": ["app", "app", "app", "web"],
            "created_at": ["2026-03-02", "2026-03-09", "2026-03-02", None],
        }
    )
    strata = unit_strata(units)
    assert strata[0] != strata[1]  # another week
    assert strata[0] != strata[2]  # another language
    assert strata[3].startswith("und|web|")
    assert len(set(unit_strata(units[["language"]]))) == 3


def test_with_record_strata_takes_source_and_date_by_record():
    units = pd.DataFrame({"unit_id": ["a", "b", "c"], "record_id": ["r2", "r1", "r2"], "language": ["en"] * 3})
    records = pd.DataFrame({"record_id": ["r1", "r2"], "source": ["app", "web"], "created_at": ["2026-01-01", None]})
    joined = with_record_strata(units, records)
    assert joined["unit_id"].tolist() == ["a", "b", "c"]
    assert joined["source"].tolist() == ["web", "app", "web"]


def test_assign_in_batches_equals_one_transform():
    x, _ = clustered(900)
    langs = np.array(["en", "pl", "de"])[np.arange(900) % 3]
    model = ThemeModel(seed=1).fit(x, languages=langs)
    whole = model.transform(x, languages=langs.tolist())
    labels, sims = assign_in_batches(model, x, languages=langs, batch_size=128)
    assert np.array_equal(labels, whole[0])
    np.testing.assert_allclose(sims, whole[1], rtol=1e-6)


def test_below_the_sample_size_the_fit_is_the_plain_fit():
    x, _ = clustered(600, seed=2)
    units = units_frame(600, seed=2)
    plain = ThemeModel(seed=5).fit(x, languages=units["language"].tolist())
    sampled = fit_on_sample(ThemeModel(seed=5), x, units=units, sample_size=600, seed=5)
    assert sampled.sample_index_ is None
    assert np.array_equal(plain.labels_, sampled.labels_)


def test_a_sampled_fit_finds_the_themes_and_labels_every_unit():
    x, truth = clustered(3000, seed=4)
    units = units_frame(3000, seed=4)
    model = fit_on_sample(ThemeModel(seed=5), x, units=units, sample_size=600, seed=5, batch_size=700)
    assert len(model.sample_index_) == 600
    assert model.labels_.shape == (3000,)
    outside = np.setdiff1d(np.arange(3000), model.sample_index_)
    # units never seen by the fit land in the themes of their kind, as the sample's own do
    assert adjusted_rand_score(truth[outside], model.labels_[outside]) > 0.9
    assert len(model.centroids_) == 4


def test_fit_or_assign_refits_on_a_sample_above_the_settings_size():
    x, truth = clustered(2500, seed=6)
    units = units_frame(2500, seed=6)
    with Store(":memory:") as store:
        empty = load_theme_state(store)
    fit = fit_or_assign(
        empty,
        units,
        x,
        settings=ThemeSettings(fit_sample_size=500, assign_batch_size=400),
        run_id="run-1",
        now=datetime(2026, 3, 1),
    )
    assert fit.refitted
    ids = fit.tracked.model_theme_ids
    assert ids.shape == (2500,) and (ids >= 0).mean() > 0.9
    assert adjusted_rand_score(truth, ids) > 0.9
