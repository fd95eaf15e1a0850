"""Statistics from a run's test rows (``test_predictions.npz``: ``predicted`` and ``target``
per test row): on one split, the rows, not the seeds, say how far a score could move."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from threadpoolctl import threadpool_limits

from experiments.stats.metric_scale import (
    ResampledRows,
    base_name,
    can_score_rows,
    clip_to_range,
    row_losses,
    weighted_scores,
)
from experiments.stats.verdict import LEVEL, bootstrap_weights

PREDICTIONS_FILE = "test_predictions.npz"
ACCURACY = ("acc", "accuracy")
FLIPS = 10_000  # random sign assignments of the permutation test: p resolution 1e-4
FLIP_CHUNK = 1_000  # drawn and summed at a time


class HeldOutRows(NamedTuple):
    """Some runs' predictions on the same test rows: ``predictions`` (one array per run,
    the predicted value of every row) and the rows' ``target``."""

    predictions: list[np.ndarray]
    target: np.ndarray


@dataclass(frozen=True)
class RowTest:
    """A paired test of two sides' scores on the same test rows.

    Attributes:
        p_value: two-sided p-value of "the two score the same on such rows".
        difference: side A's score minus side B's, in the metric's units.
        rows: the test rows.
        method: the test, for the reader (``McNemar's exact test on 12 discordant rows``).
    """

    p_value: float
    difference: float
    rows: int
    method: str


def load_test_predictions(run_dir: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """``(predicted, target)`` per test row from the run's ``test_predictions.npz``, or None
    when the run did not write one (or it cannot be read)."""
    path = Path(run_dir) / PREDICTIONS_FILE
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return arrays["predicted"], arrays["target"]
    except (OSError, KeyError, ValueError):
        return None


def shared_test_rows(run_dirs: list[Path]) -> HeldOutRows | None:
    """Every run's predictions and the common target, when all the runs saved predictions
    for the same test rows; else None."""
    predictions, target = [], None
    for run_dir in run_dirs:  # each run's target is compared and dropped: one is kept
        loaded = load_test_predictions(run_dir)
        if loaded is None or (target is not None and not np.array_equal(loaded[1], target)):
            return None
        predictions.append(loaded[0])
        target = loaded[1] if target is None else target
    return None if target is None else HeldOutRows(predictions, target)


def _resampled(target: np.ndarray) -> ResampledRows:
    """`bootstrap_weights` of these test rows, as `ResampledRows`: kept for the next group
    scored on the same rows (a leaderboard asks once per group and metric; the draw is
    seeded, so the weights are the same either way)."""
    return _resampled_content(target.tobytes(), target.dtype.str)


@functools.lru_cache(maxsize=2)
def _resampled_content(content: bytes, dtype: str) -> ResampledRows:
    target = np.frombuffer(content, dtype=dtype)
    weights = bootstrap_weights(len(target))
    weights.setflags(write=False)
    return ResampledRows(target, weights)


def bootstrap_scores(metric: str, rows: HeldOutRows) -> np.ndarray:
    """The runs' mean ``metric`` under each bootstrap resample of the test rows (the same
    resamples for every call with the same rows: scores of two sides are paired)."""
    resampled = _resampled(np.asarray(rows.target))
    # A running sum, not a stack of every run's scores (4000 floats a run): the numbers of
    # `np.mean` over the stack, which adds its rows in this order too.
    total = np.array(resampled.scores(metric, rows.predictions[0]), dtype=float)
    for predicted in rows.predictions[1:]:
        total += resampled.scores(metric, predicted)
    return total / len(rows.predictions)


def interval_of_rows(metric: str, rows: HeldOutRows) -> tuple[float, float] | None:
    """The 95% bootstrap interval over the test rows of the runs' mean ``metric`` (the runs
    are seeds of one configuration on one split), cut to the metric's range; None when the
    metric cannot be computed from predicted and target values."""
    if not can_score_rows(metric):
        return None
    low, high = np.quantile(bootstrap_scores(metric, rows), [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return clip_to_range(metric, low, high)


def interval_on_test_rows(metric: str, run_dirs: list[Path]) -> tuple[float, float] | None:
    """`interval_of_rows` of the runs' saved test rows; None when they saved none usable."""
    rows = shared_test_rows(run_dirs)
    return None if rows is None else interval_of_rows(metric, rows)


def mcnemar_p_value(correct_a: np.ndarray, correct_b: np.ndarray) -> tuple[float, int]:
    """McNemar's exact test of two classifiers on the same rows: of the rows exactly one of
    them got right, is either side's share more than chance? A two-sided binomial test
    (``scipy.stats.binomtest``, p = 1/2) on those discordant rows.

    Args:
        correct_a, correct_b: per row, whether each classifier predicted it right.

    Returns:
        ``(p, discordant)``; p is 1 when no row is discordant.
    """
    from scipy import stats  # 0.6 s to import: only where a McNemar test is made

    a_only = int(np.sum(correct_a & ~correct_b))
    discordant = a_only + int(np.sum(correct_b & ~correct_a))
    if discordant == 0:
        return 1.0, 0
    return float(stats.binomtest(a_only, discordant, 0.5).pvalue), discordant


def sign_flip_p_value(differences: np.ndarray, flips: int = FLIPS, seed: int = 0) -> float:
    """The paired permutation test of "the mean difference is 0": under that null the two
    sides are exchangeable on each row, so each row's difference is as likely with either
    sign. Two-sided; seeded, so a report gives the same number each time.

    Args:
        differences: one paired difference per row.
        flips: random sign assignments drawn.

    Returns:
        The share of sign assignments whose sum is at least as far from 0 as the observed
        one, the observed assignment counted (never 0); 1 when every difference is 0.
    """
    return sign_flip_p_values([differences], flips, seed)[0]


def sign_flip_p_values(
    differences: Sequence[np.ndarray], flips: int = FLIPS, seed: int = 0
) -> list[float]:
    """`sign_flip_p_value` of each of several sets of paired differences (a leaderboard's
    leads), the same numbers computed together: the signs drawn for a test depend only on
    its number of nonzero differences (the seed is shared), so the tests with as many share
    one draw of signs and one matrix product.

    Args:
        differences: per test, one paired difference per row.
        flips, seed: as `sign_flip_p_value` takes them.

    Returns:
        One p-value per test, in order.
    """
    p_values = [1.0] * len(differences)  # 1 where every difference is 0
    nonzero = [np.asarray(d, dtype=float) for d in differences]
    nonzero = [d[d != 0] for d in nonzero]  # rows where the sides agree move no sum
    by_count: dict[int, list[int]] = {}
    for index, terms in enumerate(nonzero):
        if len(terms):
            by_count.setdefault(len(terms), []).append(index)
    # One thread: BLAS's threads cost more than they save on these products, and far more
    # where other processes hold the cores.
    with threadpool_limits(1, user_api="blas"):
        for tests in by_count.values():
            extreme = _extreme_counts([nonzero[index] for index in tests], flips, seed)
            for index, tail in zip(tests, extreme, strict=True):
                p_values[index] = (1 + int(tail)) / (1 + flips)
    return p_values


def _extreme_counts(tests: list[np.ndarray], flips: int, seed: int) -> np.ndarray:
    """For tests of as many nonzero differences each, how many of the ``flips`` sign
    assignments (drawn as `sign_flip_p_value` draws them) give a sum at least as far from 0
    as the observed one."""
    terms = np.stack(tests, axis=1)  # (differences, tests)
    # Sums of the same terms in another order may differ in the last bits: such ties count.
    observed = np.array([abs(test.sum()) - 1e-9 * np.abs(test).sum() for test in tests])
    rng = np.random.default_rng(seed)
    extreme = np.zeros(len(tests), dtype=int)
    for start in range(0, flips, FLIP_CHUNK):  # bounded memory for many rows
        signs = rng.integers(0, 2, size=(min(FLIP_CHUNK, flips - start), len(terms))) * 2.0 - 1
        extreme += np.count_nonzero(np.abs(signs @ terms) >= observed, axis=0)
    return extreme


@dataclass(frozen=True)
class SignFlipTest:
    """A `RowTest` whose p-value is still to compute: the paired permutation test of the
    per-row loss ``differences`` (`sign_flip_p_value`), kept to be run with others
    (`finish_row_tests`); the other fields as `RowTest` has them."""

    differences: np.ndarray
    difference: float
    rows: int
    method: str


def paired_row_test(
    metric: str,
    a: HeldOutRows,
    b: HeldOutRows,
    scores: tuple[np.ndarray, np.ndarray] | None = None,
) -> RowTest | SignFlipTest:
    """Do A and B score differently on ``metric`` over the same test rows? Each side's score
    is the mean over its runs.

    - Accuracy where each side made one prediction per row (one run, or runs that agree on
      every row, as a convex model's seeds do): McNemar's exact test (`mcnemar_p_value`).
    - Other metrics that are a mean over rows (accuracy, MAE; MSE, RMSE and R² through the
      squared error): the paired permutation test of the per-row losses, averaged over
      each side's runs (`sign_flip_p_value`); with one prediction per side and accuracy it
      is McNemar's test.
    - F1, which is no mean over rows: the paired bootstrap of the rows (both sides under the
      same resamples); the p-value is twice the smaller share of resampled differences on
      either side of 0.

    Args:
        metric: a name `experiments.stats.metric_scale.can_score_rows` accepts.
        a, b: the two sides' predictions, on the same rows (the same ``target``).
        scores: the sides' `bootstrap_scores`, when already computed.

    Returns:
        The test; a permutation test as a `SignFlipTest`, run later with others
        (`finish_row_tests`), so that neither side's predictions need stay in memory.
    """
    n = len(a.target)
    difference = _score(metric, a) - _score(metric, b)
    single = [_single_prediction(side) for side in (a, b)]
    if base_name(metric) in ACCURACY and all(p is not None for p in single):
        p_value, discordant = mcnemar_p_value(*(p == a.target for p in single))
        method = f"McNemar's exact test on {discordant} discordant rows"
        return RowTest(p_value, difference, n, method)
    losses = [_mean_losses(metric, side) for side in (a, b)]
    if losses[0] is not None:
        method = "a paired permutation test over the rows"
        return SignFlipTest(losses[1] - losses[0], difference, n, method)
    scores_a, scores_b = scores or (bootstrap_scores(metric, a), bootstrap_scores(metric, b))
    resampled = scores_a - scores_b
    tail = min(np.mean(resampled <= 0), np.mean(resampled >= 0))
    return RowTest(min(1.0, 2 * float(tail)), difference, n, "a paired bootstrap over the rows")


def finish_row_tests(tests: Sequence[RowTest | SignFlipTest]) -> list[RowTest]:
    """The tests of `paired_row_test`, with their permutation tests run together
    (`sign_flip_p_values`: the same p-values as one at a time)."""
    pending = [test for test in tests if isinstance(test, SignFlipTest)]
    p_values = iter(sign_flip_p_values([test.differences for test in pending]))
    return [
        RowTest(next(p_values), test.difference, test.rows, test.method)
        if isinstance(test, SignFlipTest)
        else test
        for test in tests
    ]


def _score(metric: str, rows: HeldOutRows) -> float:
    """The runs' mean ``metric`` on all their test rows."""
    whole = np.ones((1, len(rows.target)))
    return float(
        np.mean([weighted_scores(metric, p, rows.target, whole)[0] for p in rows.predictions])
    )


def _mean_losses(metric: str, rows: HeldOutRows) -> np.ndarray | None:
    """`row_losses` per row, averaged over the runs; None for a metric without them."""
    losses = [row_losses(metric, p, rows.target) for p in rows.predictions]
    return None if losses[0] is None else np.mean(losses, axis=0)


def _single_prediction(rows: HeldOutRows) -> np.ndarray | None:
    """The one prediction per row that all the runs made, or None when they differ."""
    first = rows.predictions[0]
    return first if all(np.array_equal(p, first) for p in rows.predictions[1:]) else None
