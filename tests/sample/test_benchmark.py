from __future__ import annotations

import pandas as pd
import pytest

from voc.sample import THEME_IDS, generate_theme_benchmark


def test_balanced_themes_by_languages():
    bench = generate_theme_benchmark(n_per_theme_language=6, seed=2)
    assert list(bench.columns) == ["text", "language", "theme"]
    cells = bench.groupby(["theme", "language"]).size()
    assert len(cells) == len(THEME_IDS) * 5
    assert (cells == 6).all()
    assert bench["text"].str.len().min() > 10


def test_default_size_and_variety():
    bench = generate_theme_benchmark()
    assert len(bench) == len(THEME_IDS) * 5 * 12
    assert bench["text"].nunique() / len(bench) > 0.95
    # rows are shuffled, not grouped by theme or language
    assert (bench["theme"] != bench["theme"].shift()).mean() > 0.8


def test_deterministic_and_seeded():
    a = generate_theme_benchmark(n_per_theme_language=4, seed=1)
    b = generate_theme_benchmark(n_per_theme_language=4, seed=1)
    c = generate_theme_benchmark(n_per_theme_language=4, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_theme_subset_and_unknown_theme():
    bench = generate_theme_benchmark(n_per_theme_language=3, themes=["late_delivery", "app_crash"])
    assert set(bench["theme"]) == {"late_delivery", "app_crash"}
    assert len(bench) == 2 * 5 * 3
    with pytest.raises(ValueError, match="unknown themes"):
        generate_theme_benchmark(themes=["nope"])
