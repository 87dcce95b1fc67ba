"""Interval formulas on hand-computed cases, coverage by simulation, NPS bounds by Hypothesis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voc.metrics.intervals import mean_interval, nps_interval, wilson_interval
from voc.metrics.survey import nps_value


def test_nps_value_hand_computed():
    # promoters 10, 9, 10, 9, 10 (5); passives 8, 7 (2); detractors 6, 0, 5 (3) -> (5 - 3) / 10
    value, low, high = nps_value(np.array([10, 9, 8, 7, 6, 0, 10, 5, 9, 10]))
    assert value == pytest.approx(20.0)
    assert low < 20.0 < high


def test_nps_interval_matches_variance_formula_at_large_n():
    # with n = 10,000 the pseudo-counts are negligible: half-width = z * sqrt(p+ + p- - (p+ - p-)^2 / n)
    value, low, high = nps_interval(5000, 2000, 3000)
    half = 1.959964 * math.sqrt((0.5 + 0.3 - 0.2**2) / 10_000) * 100
    assert value == pytest.approx(20.0)
    assert (high - low) / 2 == pytest.approx(half, rel=0.01)


def test_wilson_textbook_case():
    # 8 of 10 at 95 %: the Wilson interval is 0.490 .. 0.943 (Newcombe 1998, table I)
    value, low, high = wilson_interval(8, 10)
    assert value == pytest.approx(80.0)
    assert low == pytest.approx(49.0, abs=0.1)
    assert high == pytest.approx(94.3, abs=0.1)


def test_t_interval_hand_computed():
    # mean 3, sd sqrt(2.5), t(0.975, 4) = 2.7764 -> half-width 2.7764 * 1.5811 / sqrt(5) = 1.9632
    value, low, high = mean_interval(np.array([1, 2, 3, 4, 5]))
    assert value == 3.0
    assert low == pytest.approx(3 - 1.9632, abs=1e-3)
    assert high == pytest.approx(3 + 1.9632, abs=1e-3)


def test_empty_and_single_inputs_give_nan_not_errors():
    assert all(math.isnan(v) for v in nps_interval(0, 0, 0))
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    value, low, high = mean_interval(np.array([4.0]))
    assert value == 4.0 and math.isnan(low) and math.isnan(high)


def test_all_promoters_still_has_width():
    value, low, high = nps_interval(20, 0, 0)
    assert value == 100.0 and high == 100.0 and low < 90.0


@pytest.mark.parametrize("n", [40, 150])
def test_nps_interval_coverage(n):
    rng = np.random.default_rng(n)
    probs = np.array([0.25, 0.30, 0.45])  # detractor, passive, promoter
    truth = 100 * (probs[2] - probs[0])
    hits = 0
    for _ in range(400):
        det, pas, pro = rng.multinomial(n, probs)
        _, low, high = nps_interval(pro, pas, det)
        hits += low <= truth <= high
    # 95 % nominal; 400 draws give a standard error of about 1.1 points
    assert 0.92 <= hits / 400 <= 0.985


@pytest.mark.parametrize("p", [0.08, 0.5])
def test_wilson_coverage(p):
    rng = np.random.default_rng(int(p * 100))
    n = 60
    hits = sum(low <= 100 * p <= high for _, low, high in (wilson_interval(int(k), n) for k in rng.binomial(n, p, 400)))
    assert 0.92 <= hits / 400 <= 0.99


def test_t_interval_coverage_on_skewed_answers():
    rng = np.random.default_rng(7)
    levels, probs = np.arange(1, 8), np.array([0.05, 0.05, 0.1, 0.1, 0.2, 0.3, 0.2])
    truth = float(levels @ probs)
    hits = 0
    for _ in range(300):
        _, low, high = mean_interval(rng.choice(levels, 50, p=probs))
        hits += low <= truth <= high
    assert 0.91 <= hits / 300 <= 0.99


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=60))
def test_nps_bounds_and_order(scores):
    value, low, high = nps_value(np.array(scores))
    assert -100.0 <= low <= value <= high <= 100.0
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    assert value == pytest.approx(100 * (promoters - detractors) / len(scores))


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=200), st.integers(min_value=1, max_value=200))
def test_wilson_bounds(k, n):
    k = min(k, n)
    value, low, high = wilson_interval(k, n)
    assert 0.0 <= low <= value <= high <= 100.0


def test_bootstrap_interval_agrees_with_t_interval_on_a_mean():
    from voc.metrics.intervals import bootstrap_interval

    values = np.random.default_rng(5).normal(10, 2, 400)
    low, high = bootstrap_interval(values, np.mean, n_boot=800, seed=1)
    _, t_low, t_high = mean_interval(values)
    assert low == pytest.approx(t_low, abs=0.08) and high == pytest.approx(t_high, abs=0.08)
    assert all(math.isnan(v) for v in bootstrap_interval(np.array([]), np.mean))
