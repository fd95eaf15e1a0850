"""scikit-learn reference estimators, run through the same data, metrics and logs."""

from experiments.baselines.estimators import (
    EstimatorOutcome,
    count_learned_values,
    fit_estimator,
    is_estimator_model,
    prepare_estimator,
    score_estimator,
)

__all__ = [
    "EstimatorOutcome",
    "count_learned_values",
    "fit_estimator",
    "is_estimator_model",
    "prepare_estimator",
    "score_estimator",
]
