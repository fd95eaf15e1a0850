"""Metrics recomputed from a run's test rows under bootstrap weights agree with scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, mean_squared_error

from experiments.stats.metric_scale import (
    ResampledRows,
    can_score_rows,
    metric_range,
    row_losses,
    weighted_scores,
)
from experiments.stats.verdict import bootstrap_weights


def test_balanced_accuracy_of_resamples_is_sklearns_with_sample_weights() -> None:
    generator = np.random.default_rng(0)
    target = generator.integers(0, 3, 60)
    predicted = np.where(generator.random(60) < 0.7, target, generator.integers(0, 3, 60))
    weights = generator.multinomial(60, np.full(60, 1 / 60), size=4).astype(float)
    scores = weighted_scores("test/balanced_acc", predicted, target, weights)
    expected = [balanced_accuracy_score(target, predicted, sample_weight=w) for w in weights]
    assert can_score_rows("test/balanced_acc") and metric_range("val/balanced_acc") == (0, 1)
    assert scores == pytest.approx(expected)


def test_row_losses_average_to_the_metric() -> None:
    # The paired permutation test flips per-row loss differences: their mean must be the
    # metric (up to its direction), balanced accuracy's rows weighted by their class's size.
    generator = np.random.default_rng(1)
    target = generator.choice(3, 90, p=[0.6, 0.3, 0.1])
    predicted = np.where(generator.random(90) < 0.7, target, generator.integers(0, 3, 90))
    balanced = row_losses("test/balanced_acc", predicted, target).mean()
    assert balanced == pytest.approx(1 - balanced_accuracy_score(target, predicted))
    assert row_losses("test/acc", predicted, target).mean() == pytest.approx(
        1 - accuracy_score(target, predicted)
    )
    values = generator.normal(size=90)
    squared = row_losses("test/rmse", values + 0.5, values).mean()
    assert squared == pytest.approx(mean_squared_error(values, values + 0.5))
    assert row_losses("test/f1", predicted, target) is None


@pytest.mark.parametrize(
    "metric", ["test/acc", "test/balanced_acc", "test/f1", "test/mae", "test/rmse", "test/r2"]
)
def test_resampled_rows_give_weighted_scores_numbers(metric: str) -> None:
    # The leaderboard's bootstrap scores each run from its wrong rows and the classes'
    # shared counts: the same intervals as the whole product of weights and rows (up to the
    # order of float sums), with a class some resamples miss (one row of class 3) and a
    # class predicted that no row has (4).
    generator = np.random.default_rng(2)
    target = np.append(generator.choice(3, 49, p=[0.6, 0.3, 0.1]), 3)
    predicted = np.where(generator.random(50) < 0.7, target, generator.integers(0, 5, 50))
    weights = bootstrap_weights(50, resamples=500, seed=0)
    assert (weights[:, -1] == 0).any()  # resamples without class 3
    expected = weighted_scores(metric, predicted, target, weights)
    scores = ResampledRows(target, weights).scores(metric, predicted)
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-12)
