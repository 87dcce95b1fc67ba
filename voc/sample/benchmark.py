"""Balanced five-language comments for measuring cross-lingual theme clustering.

Each (theme, language) cell gets the same number of single-theme comments, each a different core
sentence where the bank allows, wrapped in a random register (review, e-mail, chat, survey comment,
call note) so that clusters cannot form around the wrapper or the language instead of the theme.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from voc.sample.catalog import THEME_BY_ID, THEME_IDS
from voc.sample.compose import REGISTERS, TextComposer
from voc.sample.phrases import BANKS, check_banks


def generate_theme_benchmark(
    *, n_per_theme_language: int = 12, seed: int = 11, themes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Comments with known theme and language, equally many per (theme, language).

    Parameters
    ----------
    n_per_theme_language : int
        Comments per cell. Cores are used without repetition until a cell exhausts its bank
        (10-11 per cell), after which they repeat under different wrappers.
    seed : int
        Seed of the random generator.
    themes : sequence of str, optional
        Subset of theme ids; all catalogue themes by default.

    Returns
    -------
    pandas.DataFrame
        Columns ``text``, ``language`` (pl, fi, uk, en, de) and ``theme`` (theme id), rows shuffled;
        ``len(themes) * 5 * n_per_theme_language`` rows.
    """
    if n_per_theme_language < 1:
        raise ValueError("n_per_theme_language must be >= 1")
    check_banks()
    chosen = list(themes) if themes is not None else list(THEME_IDS)
    unknown = [t for t in chosen if t not in THEME_BY_ID]
    if unknown:
        raise ValueError(f"unknown themes {unknown}; known: {list(THEME_IDS)}")
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str, str]] = []
    for theme in chosen:
        tone = THEME_BY_ID[theme].polarity
        for language in BANKS:
            composer = TextComposer(language)
            cores = composer.bank.THEMES[theme]
            order = [int(i) for i in rng.permutation(len(cores))]
            for k in range(n_per_theme_language):
                register = REGISTERS[int(rng.integers(len(REGISTERS)))]
                composed = composer.compose(
                    rng,
                    [cores[order[k % len(cores)]]],
                    register=register,
                    tone=tone,
                    themes=[theme],
                    context_p=0.3,
                    typo_p=0.08,
                )
                rows.append((composed.text, language, theme))
    frame = pd.DataFrame(rows, columns=["text", "language", "theme"])
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
