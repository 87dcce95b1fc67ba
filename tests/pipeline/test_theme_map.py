"""The theme update hands the report every theme's centroid, so the theme map has positions."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.xdist_group("demo_run")


def test_every_ranked_theme_with_a_centroid_gets_a_map_position(demo_run):
    update = demo_run.catalog["theme_update"]
    themes = demo_run.catalog["context"].themes
    assert set(update.centroids) <= set(update.themes["theme_id"])
    for vector in update.centroids.values():
        assert vector.ndim == 1 and np.isclose(np.linalg.norm(vector), 1.0, atol=1e-4)
    with_centroid = themes["theme_id"].isin(list(update.centroids))
    assert with_centroid.sum() >= 3
    positions = themes.loc[with_centroid, ["x", "y"]].to_numpy(float)
    assert np.isfinite(positions).all()
    assert np.ptp(positions[:, 0]) > 0 and np.ptp(positions[:, 1]) > 0  # spread out, not one dot
