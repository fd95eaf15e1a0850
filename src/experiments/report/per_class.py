"""Per-class results of a classifier's test predictions: the confusion matrix, precision,
recall and F1 per class, and for two classes ROC-AUC and average precision."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)


def per_class_results(predictions: dict[str, np.ndarray], class_names: tuple[str, ...]) -> dict:
    """``confusion_matrix`` (rows: true class, columns: predicted, in ``class_names`` order),
    ``per_class`` (``precision``, ``recall``, ``f1``, ``support`` per class name) and, for
    two classes with ``scores`` (one column per class), ``metrics``: ``test/auroc`` and
    ``test/ap`` of the second class (e.g. ``spam``) against the first.

    Args:
        predictions: ``predicted`` and ``target`` class indices per test row, and
            ``scores`` (probabilities or margins) where the model has them.
        class_names: the data's class names, by index.
    """
    labels = list(range(len(class_names)))
    target, predicted = predictions["target"], predictions["predicted"]
    precision, recall, f1, support = precision_recall_fscore_support(
        target, predicted, labels=labels, zero_division=0
    )
    results: dict[str, Any] = {
        "confusion_matrix": confusion_matrix(target, predicted, labels=labels).tolist(),
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(class_names)
        },
        "metrics": {},
    }
    scores = predictions.get("scores")
    if len(class_names) == 2 and scores is not None and len(np.unique(target)) == 2:
        positive = scores[:, 1] - scores[:, 0]  # monotone in the second class's odds
        results["metrics"] = {
            "test/auroc": float(roc_auc_score(target, positive)),
            "test/ap": float(average_precision_score(target, positive)),
        }
    return results


def confusion_figure(matrix: list[list[int]], class_names: tuple[str, ...]) -> Any:
    """A matplotlib figure of the confusion matrix with counts, for TensorBoard."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    counts = np.asarray(matrix)
    size = 1.5 + 0.45 * len(class_names)
    figure, axes = plt.subplots(figsize=(size, size))
    axes.imshow(counts, cmap="Blues")
    ticks = range(len(class_names))
    axes.set_xticks(ticks, class_names, rotation=45, ha="right")
    axes.set_yticks(ticks, class_names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    for (row, column), count in np.ndenumerate(counts):
        color = "white" if count > counts.max() / 2 else "black"
        axes.text(column, row, str(count), ha="center", va="center", color=color, fontsize=8)
    figure.tight_layout()
    return figure
