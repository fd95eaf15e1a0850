"""What a report needs to know about a metric from its logged name (``test/acc``,
``val/rmse``): the range its values live in, the default region of practical equivalence,
and how to compute it from a run's test rows (``test_predictions.npz``)."""

from __future__ import annotations

import functools
import math

import numpy as np

# Metrics whose values lie in [0, 1] by definition; R² is at most 1 and unbounded below;
# errors and losses are at least 0.
UNIT_INTERVAL = {
    "acc", "accuracy", "balanced_acc", "f1", "auroc", "auc", "precision", "recall", "ap",
}  # fmt: skip
AT_MOST_ONE = {"r2"}
NON_NEGATIVE = {"rmse", "mae", "mse", "loss"}
# Metrics of a classifier's class counts, which `ResampledRows` computes from its wrong rows.
CLASS_COUNTS = {"acc", "accuracy", "balanced_acc", "f1"}
EXACT_FLOAT32 = 2**24  # whole numbers up to this add up exactly in float32
# Default ROPE: 1 point (0.01) on metrics of scale 1; 1% of the reference score otherwise.
ROPE_FRACTION = 0.01


def base_name(metric: str) -> str:
    """``test/acc`` -> ``acc``."""
    return metric.rsplit("/", 1)[-1].lower()


def metric_range(metric: str) -> tuple[float, float]:
    """The interval the metric's values can take: ``(0, 1)`` for accuracy, F1 and the like,
    ``(-inf, 1)`` for R², ``(0, inf)`` for errors and losses, unbounded otherwise."""
    name = base_name(metric)
    if name in UNIT_INTERVAL:
        return 0.0, 1.0
    if name in AT_MOST_ONE:
        return -math.inf, 1.0
    if name in NON_NEGATIVE:
        return 0.0, math.inf
    return -math.inf, math.inf


def clip_to_range(metric: str, low: float, high: float) -> tuple[float, float]:
    """An interval of the metric cut to `metric_range` (a Student-t interval around 0.97
    from two seeds would otherwise reach past 1)."""
    floor, ceiling = metric_range(metric)
    return float(np.clip(low, floor, ceiling)), float(np.clip(high, floor, ceiling))


def default_rope(metric: str, reference: float) -> float:
    """The half-width of the region of practical equivalence when none is configured, in
    the metric's units: 0.01 (one point of accuracy, F1, AUROC or R²) for metrics on a scale
    of 1; 1% of ``reference`` (the best model's mean score, e.g. an RMSE in dollars) for
    errors and other unbounded metrics."""
    name = base_name(metric)
    if name in UNIT_INTERVAL or name in AT_MOST_ONE:
        return ROPE_FRACTION
    return ROPE_FRACTION * abs(reference)


def can_score_rows(metric: str) -> bool:
    """Whether `weighted_scores` can compute the metric from predicted and target values."""
    return base_name(metric) in {
        "acc",
        "accuracy",
        "balanced_acc",
        "f1",
        "rmse",
        "mae",
        "mse",
        "r2",
    }


def row_losses(metric: str, predicted: np.ndarray, target: np.ndarray) -> np.ndarray | None:
    """Per test row, the loss whose mean over the rows decides ``metric`` on these rows: 1
    for a wrong class (accuracy); for balanced accuracy the same, weighted by
    ``rows / (classes * rows of its class)`` (the mean is 1 - balanced accuracy); the
    absolute error (MAE); the squared error (MSE, and RMSE and R², which on the same rows
    order models as the MSE does). None for F1, which is no mean over rows."""
    name = base_name(metric)
    if name in {"acc", "accuracy", "balanced_acc"}:
        wrong = (np.asarray(predicted) != np.asarray(target)).astype(float)
        if name != "balanced_acc":
            return wrong
        classes, index, counts = np.unique(target, return_inverse=True, return_counts=True)
        return wrong * len(wrong) / (len(classes) * counts[index])
    if name == "f1":
        return None
    error = np.asarray(predicted, float) - np.asarray(target, float)
    return np.abs(error) if name == "mae" else error**2


def weighted_scores(
    metric: str, predicted: np.ndarray, target: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """The metric on the test rows under each row of ``weights`` (a bootstrap: how often, or
    how much, each test row counts), vectorized over the resamples.

    Args:
        metric: a name accepted by `can_score_rows`. ``f1`` is macro-averaged over the
            classes seen in ``target`` or ``predicted``, as torchmetrics logs it;
            ``balanced_acc`` averages recall over the classes a resample's targets hold.
        predicted, target: one value per test row (class ids, or values in the target's
            original units).
        weights: shape ``(resamples, rows)``, non-negative, each row summing to ``rows``.

    Returns:
        One score per resample.
    """
    name = base_name(metric)
    n = weights.shape[1]
    if name in {"acc", "accuracy"}:
        return weights @ (predicted == target).astype(float) / n
    if name == "balanced_acc":
        recalls, present = [], []
        for k in np.unique(target):
            support = weights @ (target == k).astype(float)
            hits = weights @ ((predicted == k) & (target == k)).astype(float)
            recalls.append(np.divide(hits, support, out=np.zeros_like(support), where=support > 0))
            present.append(support > 0)
        return np.sum(recalls, axis=0) / np.maximum(np.sum(present, axis=0), 1)
    if name == "f1":
        # One column per class: two matrix products for all classes and resamples at once.
        classes = np.union1d(np.unique(target), np.unique(predicted))
        is_predicted = (np.asarray(predicted)[:, None] == classes).astype(float)
        is_actual = (np.asarray(target)[:, None] == classes).astype(float)
        true_positives = weights @ (is_predicted * is_actual)
        occurrences = weights @ (is_predicted + is_actual)  # 2 tp + fp + fn per class
        f1 = np.divide(
            2 * true_positives, occurrences, out=np.zeros_like(occurrences), where=occurrences > 0
        )
        return f1.mean(axis=1)
    error = np.asarray(predicted, float) - np.asarray(target, float)
    if name == "mae":
        return weights @ np.abs(error) / n
    squared = weights @ error**2 / n
    if name == "mse":
        return squared
    if name == "rmse":
        return np.sqrt(squared)
    if name == "r2":
        target = np.asarray(target, float)
        mean = weights @ target / n
        variance = weights @ target**2 / n - mean**2
        return 1 - squared / np.where(variance > 0, variance, np.nan)
    raise ValueError(f"cannot compute {metric} from test rows")


class ResampledRows:
    """Bootstrap resamples of one set of test rows, to score many runs' predictions on them
    (`scores`: the numbers of `weighted_scores`, up to the order of float sums).

    A classifier's metrics are functions of each class's resampled counts, and a row it got
    right only adds to its class's weight, which every run shares: that is summed once, and
    a run then costs its wrong rows, not a product of the whole ``(resamples, rows)``
    weights for each class. Other metrics are `weighted_scores`.

    Args:
        target: one value per test row.
        weights: ``(resamples, rows)`` as `weighted_scores` takes them, each row summing to
            ``rows``.
    """

    def __init__(self, target: np.ndarray, weights: np.ndarray) -> None:
        self.target = np.asarray(target)
        self._weights = weights
        # Kept row by row: a run's wrong rows are gathered as contiguous blocks. Bootstrap
        # counts (whole numbers, each resample's summing to the rows) add up exactly in float32
        # below 2**24 rows: the same sums at half the memory traffic.
        whole = len(self.target) < EXACT_FLOAT32 and not np.any(np.mod(weights, 1))
        self._by_row = np.ascontiguousarray(weights.T, dtype=np.float32 if whole else float)
        self.classes = np.unique(self.target)

    @property
    def weights(self) -> np.ndarray:
        """``(resamples, rows)``, as given."""
        return self._weights

    @functools.cached_property
    def support(self) -> np.ndarray:
        """Each class's weight (`classes`) in each resample: ``(classes, resamples)``."""
        return self._class_sums(np.arange(len(self.target)), self.target, self.classes)

    def scores(self, metric: str, predicted: np.ndarray) -> np.ndarray:
        """`weighted_scores` of ``predicted`` on these rows under these weights."""
        name = base_name(metric)
        if name not in CLASS_COUNTS:
            return weighted_scores(metric, predicted, self.target, self.weights)
        predicted = np.asarray(predicted)
        wrong = np.flatnonzero(predicted != self.target)
        if name in {"acc", "accuracy"}:
            rows = len(self.target)
            return (rows - self._by_row[wrong].sum(axis=0, dtype=float)) / rows
        if name == "balanced_acc":
            hits = self.support - self._class_sums(wrong, self.target[wrong], self.classes)
            present = self.support > 0
            recalls = np.divide(hits, self.support, out=np.zeros_like(hits), where=present)
            return recalls.sum(axis=0) / np.maximum(present.sum(axis=0), 1)
        # F1 over the classes seen in the target or the predictions, as `weighted_scores`.
        seen = np.union1d(self.classes, np.unique(predicted))
        actual = np.zeros((len(seen), self._by_row.shape[1]))
        actual[np.searchsorted(seen, self.classes)] = self.support
        true_positives = actual - self._class_sums(wrong, self.target[wrong], seen)
        false_positives = self._class_sums(wrong, predicted[wrong], seen)
        occurrences = actual + true_positives + false_positives  # 2 tp + fp + fn per class
        f1 = np.divide(
            2 * true_positives, occurrences, out=np.zeros_like(occurrences), where=occurrences > 0
        )
        return f1.mean(axis=0)

    def _class_sums(self, rows: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """``(classes, resamples)``: per resample, the weight of the ``rows`` (indices) whose
        label (one per row, among the sorted ``classes``) is each class."""
        sums = np.zeros((len(classes), self._by_row.shape[1]))
        # A sum of rows per class: no matrix product, whose threads would cost more than
        # these few rows where other processes hold the cores.
        for index, label in enumerate(classes):
            sums[index] = self._by_row[rows[labels == label]].sum(axis=0)
        return sums
