"""Per-class results of a classifier's test predictions: the confusion matrix, precision,
recall and F1 per class, and for two classes ROC-AUC and average precision."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image
from sklearn.metrics import average_precision_score, roc_auc_score

from experiments.report.drawing import BLACK, WHITE, as_array, canvas, centered_text, text_width


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
    counts = confusion_counts(predictions["target"], predictions["predicted"], len(class_names))
    hits, support, predicted = counts.diagonal(), counts.sum(1), counts.sum(0)
    # scikit-learn's precision_recall_fscore_support(zero_division=0), from the counts: with
    # its confusion_matrix, 4.8 ms a run against 0.08 (digits test split; issue 16: sweeps).
    precision = hits / np.maximum(predicted, 1)
    recall = hits / np.maximum(support, 1)
    f1 = 2 * hits / np.maximum(support + predicted, 1)
    results: dict[str, Any] = {
        "confusion_matrix": counts.tolist(),
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
    target, scores = predictions["target"], predictions.get("scores")
    if len(class_names) == 2 and scores is not None and len(np.unique(target)) == 2:
        positive = scores[:, 1] - scores[:, 0]  # monotone in the second class's odds
        results["metrics"] = {
            "test/auroc": float(roc_auc_score(target, positive)),
            "test/ap": float(average_precision_score(target, positive)),
        }
    return results


def confusion_counts(target: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """The confusion matrix of class indices: rows true class, columns predicted."""
    pairs = np.asarray(target, dtype=np.int64) * classes + np.asarray(predicted, dtype=np.int64)
    return np.bincount(pairs, minlength=classes * classes).reshape(classes, classes)


HEATMAP_CELL = 8  # pixels per cell of the heat map without text


def confusion_colors(matrix: list[list[int]]) -> np.ndarray:
    """A color per cell of the confusion matrix, shaded by its count from white (none) to
    blue (the largest count). (classes, classes, 3) uint8."""
    counts = np.asarray(matrix, dtype=float)
    share = counts / max(counts.max(), 1)
    darkest = np.array([8, 48, 107])  # matplotlib's "Blues" at its top
    return np.round(255 + share[..., None] * (darkest - 255)).astype(np.uint8)


def confusion_heatmap(matrix: list[list[int]], cell: int = HEATMAP_CELL) -> np.ndarray:
    """The confusion matrix as a heat map for TensorBoard, without text: one square of
    ``cell`` pixels per (true, predicted) pair, true classes down, predicted across, in the
    data's class order. Drawn and encoded in well under a millisecond for 10 classes, where
    `confusion_image` costs some 20 ms: what every job of a sweep gets (``figures=auto``).
    (height, width, 3) uint8."""
    return np.repeat(np.repeat(confusion_colors(matrix), cell, axis=0), cell, axis=1)


def confusion_image(matrix: list[list[int]], class_names: tuple[str, ...]) -> np.ndarray:
    """The confusion matrix as an image for TensorBoard: a cell per (true, predicted) pair
    with its count, shaded by it (white to blue), true classes down the left, predicted
    along the top. (height, width, 3) uint8.
    """
    counts = np.asarray(matrix)
    cell = max(32, 8 + max(text_width(str(count)) for count in counts.flat))
    label = 8 + max(text_width(name) for name in (*class_names, "predicted"))
    size = len(class_names) * cell
    image, draw = canvas(label + size + 8, label + size + 8)
    image.paste(Image.fromarray(confusion_heatmap(matrix, cell)), (label, label))
    centered_text(draw, (label + size / 2, 10), "predicted")
    centered_text(draw, (label / 2, 10), "true")
    for index, name in enumerate(class_names):
        middle = label + index * cell + cell / 2
        centered_text(draw, (middle, label - 10), name)  # column: predicted class
        centered_text(draw, (label / 2, middle), name)  # row: true class
    dark = counts > counts.max() / 2  # white counts on the darker half of the shades
    for (row, column), count in np.ndenumerate(counts):
        center = (label + column * cell + cell / 2, label + row * cell + cell / 2)
        centered_text(draw, center, str(count), WHITE if dark[row, column] else BLACK)
    return as_array(image)
