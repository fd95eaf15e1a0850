"""The verdict statistics, on numbers with a known answer and against baycomp."""

from __future__ import annotations

import math

import baycomp
import numpy as np
import pytest
from scipy import stats

from experiments.stats.verdict import compare_on_test_rows, compare_resampled, holm, split_means


def test_bayesian_correlated_t_test_matches_baycomp() -> None:
    # baycomp's correction assumes k-fold cross-validation: n_test/n_train = 1/(k-1).
    rng = np.random.default_rng(1)
    x = rng.normal(0.90, 0.02, 30)
    y = x + rng.normal(0.01, 0.01, 30)
    runs, folds = 3, 10
    comparison = compare_resampled(y - x, 1 / (folds - 1), rope=0.01)
    p_left, p_rope, p_right = baycomp.CorrelatedTTest.probs(x, y, rope=0.01, runs=runs)
    assert (comparison.p_worse, comparison.p_equivalent, comparison.p_better) == pytest.approx(
        (p_left, p_rope, p_right), abs=1e-12
    )
    assert comparison.verdict == "inconclusive"  # 0.46 better, 0.54 equivalent


def test_corrected_t_test_interval_and_p_value() -> None:
    differences = np.array([0.010, 0.014, 0.006, 0.012, 0.008, 0.011, 0.009, 0.013, 0.007, 0.010])
    ratio = 0.25
    comparison = compare_resampled(differences, ratio, rope=0.0)
    scale = math.sqrt(np.var(differences, ddof=1) * (1 / 10 + ratio))
    half = stats.t.ppf(0.975, 9) * scale
    assert comparison.mean == pytest.approx(0.01)
    assert (comparison.low, comparison.high) == pytest.approx((0.01 - half, 0.01 + half))
    assert comparison.p_value == pytest.approx(2 * stats.t.sf(0.01 / scale, 9))
    # The uncorrected interval would be sqrt((1/10 + 0.25) / (1/10)) = 1.9 times narrower.
    assert half / (
        stats.t.ppf(0.975, 9) * np.std(differences, ddof=1) / math.sqrt(10)
    ) == pytest.approx(math.sqrt(3.5))


def test_identical_scores_are_equivalent_and_too_few_are_inconclusive() -> None:
    assert compare_resampled(np.zeros(10), 0.25, rope=0.01).verdict == "equivalent"
    # Two evaluations, both far beyond the ROPE: still no confident verdict.
    two = compare_resampled(np.array([0.10, 0.11]), 0.25, rope=0.01)
    assert two.p_better > 0.95 and two.verdict == "inconclusive"
    one = compare_resampled(np.array([0.5]), 0.25, rope=0.01)
    assert one.verdict == "inconclusive" and math.isnan(one.p_better)


def test_test_rows_decide_on_one_split() -> None:
    # Two classifiers that disagree on 2 of 446 test rows (SMS spam): not a difference.
    rng = np.random.default_rng(0)
    target = rng.integers(0, 2, 446)
    a = target.copy()
    a[:14] = 1 - a[:14]  # 14 errors
    b = a.copy()
    b[14:16] = 1 - b[14:16]  # 2 more errors
    close = compare_on_test_rows("test/acc", [a], [b], target, rope=0.01, higher_is_better=True)
    assert close.mean == pytest.approx(2 / 446)
    assert close.p_value > 0.05 and close.verdict != "better"
    assert 0 <= close.p_better <= 0.5
    # 60 more errors out of 446 (13 points): clearly worse, in either direction of reading.
    c = a.copy()
    c[20:80] = 1 - c[20:80]
    far = compare_on_test_rows("test/acc", [c], [a], target, rope=0.01, higher_is_better=True)
    assert far.verdict == "worse" and far.p_worse >= 0.95
    assert far.low < -0.134 < far.high < -0.05  # 60/446 = 0.1345
    rmse = compare_on_test_rows(
        "test/rmse", [target + 1.0], [target + 0.1], target, rope=0.01, higher_is_better=False
    )
    assert rmse.mean == pytest.approx(-0.9) and rmse.verdict == "worse"


def test_seeds_are_averaged_within_their_split() -> None:
    scores = {(1, 0): 0.90, (0, 1): 0.80, (1, 1): 0.92, (0, 0): 0.84, (2, 0): 0.70}
    assert split_means(scores) == pytest.approx({0: 0.82, 1: 0.91, 2: 0.70})
    assert list(split_means(scores)) == [0, 1, 2]


def test_holm_adjusts_a_family_of_p_values() -> None:
    # Holm (1979): sorted p-values times (k, k-1, ...), made non-decreasing, capped at 1.
    assert holm([0.01, 0.04, 0.03, math.nan]) == pytest.approx(
        [0.03, 0.06, 0.06, math.nan], nan_ok=True
    )
    assert holm([0.5, 0.9]) == [1.0, 1.0]
