"""Confidence intervals for the survey metrics: NPS, a proportion, a mean.

Each function takes counts or values and returns ``(value, low, high)``; every interval is
two-sided at ``confidence``. Chosen for honest coverage at the sample sizes CX teams see per
segment and week (tens to hundreds), checked by simulation in ``tests/metrics``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import stats


def _z(confidence: float) -> float:
    if not 0.5 < confidence < 1:
        raise ValueError(f"confidence must be in (0.5, 1), got {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def nps_interval(
    n_promoters: int, n_passives: int, n_detractors: int, *, confidence: float = 0.95
) -> tuple[float, float, float]:
    """NPS in points (-100..100) with an adjusted-Wald interval.

    NPS is the mean of a trinomial score (+1 promoter, 0 passive, -1 detractor), so
    ``Var(NPS) = (p_pro + p_det - (p_pro - p_det)^2) / n``. The interval is computed on counts
    with one pseudo-answer added to each of the three groups (an Agresti-Coull-style adjustment):
    the plain Wald interval has zero width when every answer is a promoter, and under-covers
    at small n. The point value is the unadjusted NPS, and the interval always contains it.

    Returns
    -------
    (nps, low, high) in points; NaNs when there are no answers.
    """
    n = n_promoters + n_passives + n_detractors
    if n <= 0:
        return (math.nan, math.nan, math.nan)
    value = 100.0 * (n_promoters - n_detractors) / n
    n_adj = n + 3
    pro, det = (n_promoters + 1) / n_adj, (n_detractors + 1) / n_adj
    centre = pro - det
    half = _z(confidence) * math.sqrt(max(pro + det - centre**2, 0.0) / n_adj)
    # the adjusted centre can sit beside the observed value at tiny n; never exclude what was seen
    low = max(-100.0, min(100.0 * (centre - half), value))
    high = min(100.0, max(100.0 * (centre + half), value))
    return (value, low, high)


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """Share of successes in percent (0..100) with the Wilson score interval.

    Wilson keeps its coverage near the nominal level for shares near 0 or 1 and for small n,
    where the Wald interval collapses.
    """
    if n <= 0:
        return (math.nan, math.nan, math.nan)
    z = _z(confidence)
    p = successes / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # min/max guard against rounding at k = 0 or k = n, where a bound equals the share exactly
    return (100.0 * p, 100.0 * max(0.0, min(centre - half, p)), 100.0 * min(1.0, max(centre + half, p)))


def mean_interval(values: np.ndarray, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean with a Student-t interval (NaN bounds with fewer than two values)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(values.mean())
    if n < 2:
        return (mean, math.nan, math.nan)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * float(values.std(ddof=1)) / math.sqrt(n)
    return (mean, mean - half, mean + half)


def bootstrap_interval(
    values: np.ndarray,
    statistic: Callable[[np.ndarray], float],
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(values)`` over resampled rows, shape-agnostic."""
    values = np.asarray(values)
    if len(values) == 0 or n_boot <= 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    draws = np.array([statistic(values[rng.integers(0, len(values), len(values))]) for _ in range(n_boot)])
    tail = (1 - confidence) / 2 * 100
    return (float(np.nanpercentile(draws, tail)), float(np.nanpercentile(draws, 100 - tail)))
