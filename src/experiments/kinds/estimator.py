"""scikit-learn estimators through the same splits and metrics as the Lightning models.

Model configs name the estimator directly (``estimator: {_target_: sklearn.svm.SVC, C: 1.0}``);
nothing here wraps an estimator class.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from omegaconf import DictConfig
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from threadpoolctl import threadpool_limits

from experiments.config.errors import ConfigError
from experiments.data import DataShapes
from experiments.tasks.metrics import classification_metrics, regression_metrics

# Fitted arrays that hold what a model learned, per estimator family.
_LEARNED_ARRAYS = (
    "coef_", "intercept_", "support_vectors_", "dual_coef_",
    "theta_", "var_", "feature_log_prob_", "class_log_prior_",
)  # fmt: skip


@dataclass
class EstimatorOutcome:
    metrics: dict[str, float]
    fit_seconds: float
    test_seconds: float
    n_params: int | None


def is_estimator_model(model: DictConfig) -> bool:
    """Whether a model config describes a scikit-learn estimator rather than a network."""
    return "estimator" in model


def count_learned_values(estimator: BaseEstimator) -> int | None:
    """A parameter count where one is defined: numbers in the fitted coefficient arrays
    (linear models, SVMs' support vectors and dual coefficients, naive Bayes statistics), or
    tree nodes (trees and forests); None otherwise."""
    if hasattr(estimator, "estimators_"):
        counts = [count_learned_values(member) for member in np.ravel(estimator.estimators_)]
        return None if None in counts else sum(counts)
    if hasattr(estimator, "tree_"):
        return int(estimator.tree_.node_count)
    arrays = [getattr(estimator, name) for name in _LEARNED_ARRAYS if hasattr(estimator, name)]
    return sum(int(np.size(array)) for array in arrays) if arrays else None


def _features(inputs: torch.Tensor) -> np.ndarray:
    return inputs.flatten(1).numpy()


def score_estimator(
    estimator: BaseEstimator,
    shapes: DataShapes,
    split: str,
    inputs: torch.Tensor,
    targets: torch.Tensor,
) -> dict[str, float]:
    """``{split}/<metric>`` of a fitted estimator on ``inputs``, with the tasks' torchmetrics
    (regression: in the original units)."""
    predictions = torch.as_tensor(estimator.predict(_features(inputs)))
    if shapes.task == "classification":
        metrics = classification_metrics(shapes.num_outputs)
        metrics.update(predictions.long(), targets)
    else:
        metrics = regression_metrics()
        metrics.update(shapes.original_units(predictions.float()), shapes.original_units(targets))
    return {f"{split}/{name}": float(value) for name, value in metrics.compute().items()}


def prepare_estimator(
    estimator: BaseEstimator, name: str, shapes: DataShapes, seed: int
) -> BaseEstimator:
    """Check the estimator fits the task; seed it with the run seed unless the config did.

    Raises:
        ConfigError: a classifier on a regression task or the reverse.
    """
    fits = is_classifier(estimator) if shapes.task == "classification" else is_regressor(estimator)
    if not fits:
        kind = "classifier" if is_classifier(estimator) else "regressor"
        raise ConfigError(
            f"model '{name}' is a scikit-learn {kind} ({type(estimator).__name__}); the data "
            f"is a {shapes.task} task (dataset.task)"
        )
    if estimator.get_params().get("random_state", seed) is None:
        estimator.set_params(random_state=seed)
    return estimator


def fit_estimator(
    estimator: BaseEstimator,
    shapes: DataShapes,
    tensors: dict[str, tuple[torch.Tensor, torch.Tensor]],
    threads: int,
) -> EstimatorOutcome:
    """Fit on the train split; score val and test with the tasks' torchmetrics.

    ``test_seconds`` is the time to predict the test split, as for the Lightning models.
    """
    train_inputs, train_targets = tensors["train"]
    with threadpool_limits(limits=threads):
        start = time.perf_counter()
        estimator.fit(_features(train_inputs), train_targets.numpy())
        fit_seconds = time.perf_counter() - start
        metrics = score_estimator(estimator, shapes, "val", *tensors["val"])
        start = time.perf_counter()
        metrics |= score_estimator(estimator, shapes, "test", *tensors["test"])
        test_seconds = time.perf_counter() - start
    return EstimatorOutcome(metrics, fit_seconds, test_seconds, count_learned_values(estimator))
