"""Metrics recomputed from a run's test rows under bootstrap weights agree with scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, mean_squared_error

from experiments.stats.metric_scale import (
    can_score_rows,
    metric_range,
    row_losses,
    weighted_scores,
)


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
