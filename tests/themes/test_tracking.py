"""Tracking theme identity: optimal matching, nightly assignment, births, retirements, lineage."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from voc.themes.crosslingual import normalise_rows
from voc.themes.registry import empty_registry
from voc.themes.tracking import (
    assign_nearest,
    assign_night,
    calibrate_threshold,
    match_centroids,
    member_centroids,
    refit_registry,
)

NOW = datetime(2026, 3, 1)
DIM = 32


def blobs(
    n_themes: int, per_theme: int, *, seed: int = 0, spread: float = 0.25
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors around ``n_themes`` random directions: (vectors, truth labels, centres)."""
    rng = np.random.default_rng(seed)
    centres = normalise_rows(rng.normal(size=(n_themes, DIM)))
    truth = np.repeat(np.arange(n_themes), per_theme)
    vectors = normalise_rows(centres[truth] + spread * rng.normal(size=(len(truth), DIM)))
    return vectors, truth, centres


def fitted(labels: np.ndarray, vectors: np.ndarray, *, parents=None, threshold=0.5) -> SimpleNamespace:
    """What a fitted ThemeModel exposes, built from given labels."""
    k = int(labels.max()) + 1
    centroids, _ = member_centroids(vectors, labels, list(range(k)))
    return SimpleNamespace(
        labels_=labels,
        centroids_=centroids,
        parents_=np.zeros(k, int) if parents is None else np.asarray(parents),
        threshold_=threshold,
    )


def first_fit(vectors, labels, **kw):
    model = fitted(labels, vectors, **kw)
    none = np.full(len(vectors), -1)
    return refit_registry(empty_registry(), model, vectors, none, none, assign_ceiling=0.8, run_id="r1", now=NOW)


def test_match_centroids_recovers_a_permutation():
    _, _, centres = blobs(6, 1)
    rng = np.random.default_rng(1)
    order = rng.permutation(6)
    noisy = normalise_rows(centres[order] + 0.05 * rng.normal(size=centres.shape))
    pairs = match_centroids(centres, noisy, threshold=0.5)
    assert {(i, j) for i, j, _ in pairs} == {(int(order[j]), j) for j in range(6)}


def test_match_centroids_drops_pairs_below_threshold():
    _, _, centres = blobs(3, 1)
    other = normalise_rows(np.random.default_rng(9).normal(size=(3, DIM)))
    assert match_centroids(centres, other, threshold=0.75) == []


def test_assign_nearest_respects_each_themes_threshold():
    centroids = np.eye(2, DIM, dtype=np.float32)
    vectors = normalise_rows(
        np.array(
            [[1, 0.1] + [0] * (DIM - 2), [0.3, 1] + [0] * (DIM - 2), [0.6, 0.6] + [0] * (DIM - 2)], dtype=np.float32
        )
    )
    index, sims = assign_nearest(vectors, centroids, np.array([0.5, 0.99]))
    assert index.tolist() == [0, -1, 0]
    assert sims[1] == pytest.approx(vectors[1, 1])


def test_calibrated_threshold_is_capped_by_the_setting():
    assert calibrate_threshold(np.array([0.9, 0.95]), ceiling=0.8, base=0.85) == 0.8
    assert calibrate_threshold(np.array([0.9, 0.95]), ceiling=0.8, base=0.4) == 0.4
    assert calibrate_threshold(np.linspace(0.3, 0.9, 101), ceiling=0.8) == pytest.approx(0.33, abs=0.01)


def test_first_fit_gives_ids_biggest_theme_first():
    vectors, truth, _ = blobs(3, 10)
    labels = truth.copy()
    labels[:4] = -1  # theme 0 becomes the smallest
    out = first_fit(vectors, labels)
    sizes = pd.Series(out.model_theme_ids[out.model_theme_ids >= 0]).value_counts()
    assert sizes.index.tolist()[-1] == out.model_theme_ids[5]
    assert set(out.themes["model_status"]) == {"active"}
    assert (out.model_theme_ids[:4] == -1).all()


def test_refit_keeps_ids_when_the_model_numbers_themes_differently():
    vectors, truth, _ = blobs(4, 12)
    first = first_fit(vectors, truth)
    relabelled = np.array([3, 2, 0, 1])[truth]  # the new model numbers the same themes differently
    second = refit_registry(
        first.themes,
        fitted(relabelled, vectors),
        vectors,
        first.model_theme_ids,
        first.model_theme_ids,
        assign_ceiling=0.8,
        run_id="r2",
        now=NOW,
    )
    np.testing.assert_array_equal(second.model_theme_ids, first.model_theme_ids)
    assert set(e["event"] for e in second.events) == {"match"}


def test_refit_births_retirements_and_lineage():
    vectors, truth, _ = blobs(4, 12)
    first = first_fit(vectors, truth)
    old_of = dict(zip(truth, first.model_theme_ids))
    # new model: theme 3 is gone (absorbed by theme 2), theme 0 is split in two halves
    labels = truth.copy()
    labels[truth == 3] = 2
    half = np.flatnonzero(truth == 0)[6:]
    labels[half] = 3
    rng = np.random.default_rng(5)
    # push the split half away so it is a genuinely different direction
    moved = vectors.copy()
    moved[half] = normalise_rows(vectors[half] + 1.5 * normalise_rows(rng.normal(size=(1, DIM))))
    second = refit_registry(
        first.themes,
        fitted(labels, moved),
        moved,
        first.model_theme_ids,
        first.model_theme_ids,
        assign_ceiling=0.8,
        run_id="r2",
        now=NOW,
    )
    events = pd.DataFrame(second.events)
    retired = set(events.loc[events["event"] == "retire", "theme_id"])
    born = set(events.loc[events["event"] == "birth", "theme_id"])
    matched = set(events.loc[events["event"] == "match", "theme_id"])
    # two equal themes pooled match neither (cosine ~0.71 < 0.75): both retire into a newborn
    assert matched == {old_of[0], old_of[1]} and retired == {old_of[2], old_of[3]}
    assert len(born) == 2 and min(born) > max(first.model_theme_ids)
    split = events[events["event"] == "split"]
    assert len(split) == 1 and split["theme_id"].iloc[0] in born and split["other_ids"].iloc[0] == f"[{old_of[0]}]"
    merge = events[events["event"] == "merge"]
    assert sorted(merge["other_ids"]) == sorted(f"[{old_of[t]}]" for t in (2, 3))
    assert merge["theme_id"].nunique() == 1 and merge["theme_id"].iloc[0] in born
    status = second.themes.set_index("theme_id")["model_status"]
    assert (status.loc[sorted(retired)] == "retired").all()
    assert (status.loc[sorted(born | matched)] == "active").all()


def test_parents_get_their_own_ids_and_persist():
    vectors, truth, _ = blobs(4, 10)
    first = first_fit(vectors, truth, parents=[0, 0, 1, 1])
    parents = first.themes[first.themes["kind"] == "parent"]
    assert len(parents) == 2
    children = first.themes[first.themes["kind"] == "theme"].set_index("theme_id")["parent_id"]
    assert set(children.dropna()) == set(parents["theme_id"])
    second = refit_registry(
        first.themes,
        fitted(truth, vectors, parents=[1, 1, 0, 0]),
        vectors,
        first.model_theme_ids,
        first.model_theme_ids,
        assign_ceiling=0.8,
        run_id="r2",
        now=NOW,
    )
    pd.testing.assert_series_equal(
        second.themes[second.themes["kind"] == "theme"].set_index("theme_id")["parent_id"], children
    )


def test_single_parent_over_everything_is_not_a_hierarchy():
    vectors, truth, _ = blobs(3, 8)
    out = first_fit(vectors, truth, parents=[0, 0, 0])
    assert not out.themes["kind"].eq("parent").any()


def test_nightly_assignment_keeps_known_units_and_sends_strangers_to_discovery():
    vectors, truth, _ = blobs(3, 10)
    first = first_fit(vectors[truth < 2], truth[truth < 2])
    known = np.r_[first.model_theme_ids, np.full((truth == 2).sum(), -1)]
    is_new = np.r_[np.zeros((truth < 2).sum(), bool), np.ones((truth == 2).sum(), bool)]
    seen = []

    def discover(rows):
        seen.append(rows)
        return np.zeros(len(rows), int)

    night = assign_night(
        first.themes,
        vectors,
        known,
        np.ones(len(vectors)),
        is_new=is_new,
        discover=discover,
        assign_ceiling=0.8,
        run_id="r2",
        now=NOW,
    )
    np.testing.assert_array_equal(night.model_theme_ids[~is_new], first.model_theme_ids)
    assert set(seen[0]) == set(np.flatnonzero(is_new))
    born = night.model_theme_ids[is_new]
    assert len(set(born)) == 1 and born[0] not in set(first.model_theme_ids)
    assert night.themes.set_index("theme_id").loc[born[0], "model_status"] == "emerging"


def test_a_cluster_close_to_a_known_theme_is_not_a_new_theme():
    vectors, truth, _ = blobs(2, 10)
    first = first_fit(vectors, truth)
    themes = first.themes.assign(assign_threshold=0.999)  # nothing joins on its own
    is_new = np.zeros(len(vectors), bool)
    is_new[truth == 0] = True
    night = assign_night(
        themes,
        vectors,
        first.model_theme_ids,
        np.ones(len(vectors)),
        is_new=is_new,
        discover=lambda rows: np.zeros(len(rows), int),
        assign_ceiling=0.8,
        run_id="r2",
        now=NOW,
    )
    # ... but as a group their centroid is the known theme's
    assert not night.events
    np.testing.assert_array_equal(night.model_theme_ids, first.model_theme_ids)
