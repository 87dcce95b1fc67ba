"""The unlabelled pairs ``bench.adapt_themes`` adapts the encoder on: mutual neighbours across languages."""

import numpy as np

from bench.adapt_themes import cross_language_mutual_neighbours


def test_mutual_neighbours_pair_translations_despite_a_language_offset():
    rng = np.random.default_rng(0)
    meaning = rng.normal(size=(40, 32))
    # Language B holds noisy copies of A's texts, shuffled; each language carries its own strong offset
    # (the first-order language signal that per-language centring removes before neighbours are taken).
    order = rng.permutation(40)
    a = meaning + 6.0 * rng.normal(size=32)
    b = meaning[order] + 0.1 * rng.normal(size=(40, 32)) + 6.0 * rng.normal(size=32)
    x = np.vstack([a, b])
    languages = np.array(["pl"] * 40 + ["fi"] * 40)

    pairs = cross_language_mutual_neighbours(x, languages)

    assert len(pairs) == 40
    assert all(languages[i] != languages[j] for i, j in pairs)
    expected = {(int(order[k]), 40 + k) for k in range(40)}
    assert {(int(i), int(j)) for i, j in pairs} == expected
