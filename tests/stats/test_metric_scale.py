"""Metrics recomputed from a run's test rows under bootstrap weights agree with scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score

from experiments.stats.metric_scale import can_score_rows, metric_range, weighted_scores


def test_balanced_accuracy_of_resamples_is_sklearns_with_sample_weights() -> None:
    generator = np.random.default_rng(0)
    target = generator.integers(0, 3, 60)
    predicted = np.where(generator.random(60) < 0.7, target, generator.integers(0, 3, 60))
    weights = generator.multinomial(60, np.full(60, 1 / 60), size=4).astype(float)
    scores = weighted_scores("test/balanced_acc", predicted, target, weights)
    expected = [balanced_accuracy_score(target, predicted, sample_weight=w) for w in weights]
    assert can_score_rows("test/balanced_acc") and metric_range("val/balanced_acc") == (0, 1)
    assert scores == pytest.approx(expected)
