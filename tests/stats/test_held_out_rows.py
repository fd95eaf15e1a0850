"""Statistics on test rows at a leaderboard's scale: permutation tests computed together give
each test's own p-value, and a group's bootstrap holds no more memory for more runs."""

from __future__ import annotations

import tracemalloc

import numpy as np

from experiments.stats.held_out_rows import (
    FLIPS,
    HeldOutRows,
    bootstrap_scores,
    sign_flip_p_value,
    sign_flip_p_values,
)
from experiments.stats.metric_scale import ResampledRows
from experiments.stats.verdict import bootstrap_weights


def one_test_at_a_time(differences: np.ndarray, flips: int = FLIPS, seed: int = 0) -> float:
    """The permutation test as it ran before tests were batched: one test, its own draws."""
    nonzero = np.asarray(differences, dtype=float)
    nonzero = nonzero[nonzero != 0]
    if not len(nonzero):
        return 1.0
    observed = abs(nonzero.sum()) - 1e-9 * np.abs(nonzero).sum()
    rng = np.random.default_rng(seed)
    extreme = 0
    for start in range(0, flips, 1000):
        signs = rng.integers(0, 2, size=(min(1000, flips - start), len(nonzero))) * 2 - 1
        extreme += int(np.count_nonzero(np.abs(signs @ nonzero) >= observed))
    return (1 + extreme) / (1 + flips)


def test_permutation_tests_together_give_each_tests_own_p_value() -> None:
    # A leaderboard's leads: mean losses over 3 seeds (multiples of 1/3), several with the
    # same number of rows that differ (they share draws), one with none.
    rng = np.random.default_rng(5)
    differences = [
        (rng.integers(0, 4, 120) - rng.integers(0, 4, 120)) * (rng.random(120) < share) / 3
        for share in (0.1, 0.1, 0.3, 0.3, 0.5, 0.05)
    ]
    differences.append(differences[0][::-1].copy())  # as many nonzero rows as the first
    differences.append((rng.random(120) < 0.2) / 3 - (rng.random(120) < 0.05) / 3)  # a lead
    differences.append(np.zeros(120))
    expected = [one_test_at_a_time(d) for d in differences]
    assert sign_flip_p_values(differences) == expected
    assert [sign_flip_p_value(d) for d in differences] == expected
    assert expected[-1] == 1.0 and min(expected) < 0.01 < max(expected[:-1])


def group_of_runs(runs: int, rows: int = 60) -> HeldOutRows:
    rng = np.random.default_rng(runs)
    target = np.arange(rows) % 4
    right = rng.random((runs, rows)) < 0.8
    return HeldOutRows(list(np.where(right, target, (target + 1) % 4)), target)


def peak_bytes_of_bootstrap(rows: HeldOutRows) -> int:
    bootstrap_scores("test/f1", rows)  # the resamples of these rows, computed once and kept
    tracemalloc.start()
    try:
        bootstrap_scores("test/f1", rows)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_groups_bootstrap_memory_does_not_grow_with_its_runs() -> None:
    # A sweep of seeds is one group of all its runs: their resampled scores (4000 floats a
    # run, 32 kB) are summed as they come, not stacked (64 MB for 2,000 runs).
    small, large = group_of_runs(20), group_of_runs(400)
    assert peak_bytes_of_bootstrap(large) < 1.5 * peak_bytes_of_bootstrap(small)
    # the numbers of the mean over a stack of every run's scores
    resampled = ResampledRows(large.target, bootstrap_weights(len(large.target)))
    stacked = np.mean([resampled.scores("test/f1", p) for p in large.predictions], axis=0)
    np.testing.assert_array_equal(bootstrap_scores("test/f1", large), stacked)
