"""Key drivers' bootstrap: one Newton fit per resample (before) against all resamples fitted together.

Prints one table from one run: seconds of each way, their ratio, and the largest difference in
the importance interval, at a night's size (records, themes, 1-3 themes per record).

    python -m bench.drivers_speed [--n-records 10000] [--n-themes 60] [--n-boot 1000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from voc.metrics import drivers


def synthetic(n_records: int, n_themes: int, seed: int, *, effects: bool) -> tuple[np.ndarray, np.ndarray]:
    """(mention matrix (n_records, n_themes), bad outcome (n_records,)): skewed theme volumes;
    themes shift the odds of a bad outcome with ``effects``, else the outcome ignores them."""
    rng = np.random.default_rng(seed)
    weights = np.arange(n_themes, 0, -1, dtype=float)
    X = np.zeros((n_records, n_themes), dtype=bool)
    for i, k in enumerate(rng.integers(1, 4, n_records)):
        X[i, rng.choice(n_themes, k, replace=False, p=weights / weights.sum())] = True
    risk = -0.8 + X @ rng.normal(0, 0.4 if effects else 0.0, n_themes)
    bad = (rng.random(n_records) < 1 / (1 + np.exp(-risk))).astype(int)
    return X, bad


def one_fit_per_draw(X: np.ndarray, bad: np.ndarray, *, n_boot: int, seed: int) -> np.ndarray:
    """The previous way: a Newton fit of its own for every resample; shape (n_boot, n_themes)."""
    cells, outcome, counts = drivers._collapse(X, bad)
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(len(bad), counts / counts.sum(), size=n_boot).astype(float)
    return np.array([drivers._relative_importance(cells, outcome, w) for w in weights])


def all_draws_together(X: np.ndarray, bad: np.ndarray, *, n_boot: int, seed: int) -> np.ndarray:
    cells, outcome, counts = drivers._collapse(X, bad)
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(len(bad), counts / counts.sum(), size=n_boot).astype(float)
    return drivers._importance_draws(cells, outcome, weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-records", type=int, default=10_000)
    parser.add_argument("--n-themes", type=int, default=60)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for effects in (False, True):
        X, bad = synthetic(args.n_records, args.n_themes, args.seed, effects=effects)
        seconds, draws = {}, {}
        for name, run in (("one fit per draw", one_fit_per_draw), ("all draws together", all_draws_together)):
            started = time.perf_counter()
            draws[name] = run(X, bad, n_boot=args.n_boot, seed=args.seed)
            seconds[name] = time.perf_counter() - started
        rows.append(
            {
                "themes move the score": "yes" if effects else "no",
                "cells": len(drivers._collapse(X, bad)[0]),
                "one fit per draw (s)": seconds["one fit per draw"],
                "all draws together (s)": seconds["all draws together"],
                "ratio": seconds["one fit per draw"] / seconds["all draws together"],
                "max difference": float(np.nanmax(np.abs(draws["one fit per draw"] - draws["all draws together"]))),
            }
        )
    print(f"{args.n_records} records, {args.n_themes} themes, {args.n_boot} resamples")
    formats = {"max difference": "{:.1e}".format}
    print(pd.DataFrame(rows).to_string(index=False, float_format="{:.2f}".format, formatters=formats))


if __name__ == "__main__":
    main()
