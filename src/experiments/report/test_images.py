"""A grid of test images with what the model said about each, for TensorBoard: a user sees
what the network gets wrong, and how sure it was."""

from __future__ import annotations

from typing import Any

import numpy as np

GRID_SIDE = 4  # images per row and column: 16 images


def chosen_rows(predictions: dict[str, np.ndarray], count: int = GRID_SIDE**2) -> np.ndarray:
    """Test rows to show: up to half ``count`` mistakes, the most confident first (by the
    predicted class's probability, else its score), then right answers in test order.

    Args:
        predictions: a classifier's test predictions: ``predicted``, ``target`` and, where
            the model has them, ``probabilities`` or ``scores`` (one column per class).
    """
    predicted, target = predictions["predicted"], predictions["target"]
    scores = predictions.get("probabilities", predictions.get("scores"))
    wrong = np.flatnonzero(predicted != target)
    if scores is not None:
        confidence = scores[wrong, predicted[wrong]]
        wrong = wrong[np.argsort(-confidence, kind="stable")]
    wrong = wrong[: count // 2]
    right = np.flatnonzero(predicted == target)[: count - len(wrong)]
    return np.concatenate([wrong, right]).astype(int)


def examples_figure(
    pixels: np.ndarray,
    predictions: dict[str, np.ndarray],
    rows: np.ndarray,
    class_names: tuple[str, ...],
) -> Any:
    """A matplotlib figure of the test images at ``rows``, each titled with the predicted
    class and its probability ("dog 82%"; the bare class for models without
    probabilities), in red with the true class where the model is wrong.

    Args:
        pixels: the images of ``rows`` (rows, channels, height, width) in pixel units;
            shown scaled together to [0, 1], so that their brightness stays comparable.
        predictions: as for `chosen_rows`.
        rows: the test rows shown, at most 16.
        class_names: the data's class names, by index.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    shown = pixels.transpose(0, 2, 3, 1)  # to (rows, height, width, channels)
    low, high = shown.min(), shown.max()
    shown = np.clip((shown - low) / max(high - low, 1e-12), 0.0, 1.0)
    # One image of tiles with white gaps (room above each tile for its title): one imshow is
    # several times faster than an axes per image, and every run of image data draws it.
    count, height, width, channels = shown.shape
    across, down = GRID_SIDE, -(-count // GRID_SIDE)
    gap_x, gap_y = max(1, width // 8), max(2, round(0.6 * height))
    canvas = np.ones((down * (height + gap_y), across * (width + gap_x), channels))
    probabilities = predictions.get("probabilities")
    figure, axes = plt.subplots(figsize=(7, 7 * canvas.shape[0] / canvas.shape[1]))
    for index, (row, image) in enumerate(zip(rows, shown, strict=True)):
        top = gap_y + (index // across) * (height + gap_y)
        left = (index % across) * (width + gap_x)
        canvas[top : top + height, left : left + width] = image
        predicted, target = predictions["predicted"][row], predictions["target"][row]
        title = class_names[predicted]
        if probabilities is not None:
            title += f" {probabilities[row, predicted]:.0%}"
        if predicted != target:
            title += f"\n(true: {class_names[target]})"
        axes.text(
            left + width / 2, top - 0.5, title, ha="center", va="bottom", fontsize=9,
            color="black" if predicted == target else "red",
        )  # fmt: skip
    if channels == 1:
        axes.imshow(canvas[:, :, 0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        axes.imshow(canvas, interpolation="nearest")
    axes.axis("off")
    figure.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    return figure
