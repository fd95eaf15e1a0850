"""Statistics from a run's test rows (``test_predictions.npz``: ``predicted`` and ``target``
per test row): on one split, the rows, not the seeds, say how far a score could move."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from experiments.stats.metric_scale import can_score_rows, clip_to_range, weighted_scores
from experiments.stats.verdict import LEVEL, bootstrap_weights

PREDICTIONS_FILE = "test_predictions.npz"


def load_test_predictions(run_dir: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """``(predicted, target)`` per test row from the run's ``test_predictions.npz``, or None
    when the run did not write one (or it cannot be read)."""
    path = Path(run_dir) / PREDICTIONS_FILE
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return arrays["predicted"], arrays["target"]
    except (OSError, KeyError, ValueError):
        return None


def shared_test_rows(run_dirs: list[Path]) -> tuple[list[np.ndarray], np.ndarray] | None:
    """Every run's predictions and the common target, when all the runs saved predictions
    for the same test rows; else None."""
    loaded = [load_test_predictions(run_dir) for run_dir in run_dirs]
    if not loaded or any(rows is None for rows in loaded):
        return None
    target = loaded[0][1]
    if any(not np.array_equal(rows[1], target) for rows in loaded):
        return None
    return [predicted for predicted, _ in loaded], target


def interval_on_test_rows(metric: str, run_dirs: list[Path]) -> tuple[float, float] | None:
    """The 95% bootstrap interval over the test rows of the runs' mean ``metric`` (the runs
    are seeds of one configuration on one split), cut to the metric's range; None when the
    runs saved no usable predictions or the metric cannot be computed from them."""
    rows = shared_test_rows(run_dirs)
    if rows is None or not can_score_rows(metric):
        return None
    predictions, target = rows
    weights = bootstrap_weights(len(target))
    samples = np.mean([weighted_scores(metric, p, target, weights) for p in predictions], 0)
    low, high = np.quantile(samples, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return clip_to_range(metric, low, high)
