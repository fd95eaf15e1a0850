"""The ranking the protocol's winner and its leaderboard share."""

from __future__ import annotations

import math

from experiments.protocol.selection import rank_by_validation


def test_best_first_in_either_direction() -> None:
    scores = {"mlp": 0.97, "logreg": 0.95, "cnn": 0.99}
    assert rank_by_validation(scores, "max") == ["cnn", "mlp", "logreg"]
    assert rank_by_validation(scores, "min") == ["logreg", "mlp", "cnn"]


def test_a_tie_goes_to_the_first_name_and_unscored_models_come_last() -> None:
    scores = {"svm_rbf": 0.9, "nothing_finished": math.nan, "sk_svc": 0.9, "mlp": 0.8}
    assert rank_by_validation(scores, "max") == ["sk_svc", "svm_rbf", "mlp", "nothing_finished"]
