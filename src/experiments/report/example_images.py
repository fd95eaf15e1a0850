"""A grid of test images with what the model said about each, for TensorBoard: a user sees
what the network gets wrong, and how sure it was."""

from __future__ import annotations

import numpy as np
from PIL import Image

from experiments.report.drawing import BLACK, RED, as_array, canvas, centered_text, text_width

GRID_SIDE = 4  # images per row and column: 16 images
MIN_TILE = 80  # pixels: an 8x8 digit is drawn 10x, a 32x32 photo 3x
CAPTION = 34  # pixels above each image: two lines of text


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


def examples_image(
    pixels: np.ndarray,
    predictions: dict[str, np.ndarray],
    rows: np.ndarray,
    class_names: tuple[str, ...],
) -> np.ndarray:
    """The test images at ``rows`` in a grid, each captioned with the predicted class and
    its probability ("dog 82%"; the bare class for models without probabilities), in red
    with the true class below where the model is wrong. (height, width, 3) uint8.

    Args:
        pixels: the images of ``rows`` (rows, channels, height, width) in pixel units;
            shown scaled together to [0, 1], so that their brightness stays comparable.
        predictions: as for `chosen_rows`.
        rows: the test rows shown, at most 16.
        class_names: the data's class names, by index.
    """
    shown = pixels.transpose(0, 2, 3, 1)  # to (rows, height, width, channels)
    low, high = shown.min(), shown.max()
    shown = np.clip((shown - low) / max(high - low, 1e-12), 0.0, 1.0)
    count, height, width, _ = shown.shape
    zoom = max(1, -(-MIN_TILE // max(height, width)))  # small images drawn large, pixels kept
    tiles = np.repeat(np.repeat(shown, zoom, axis=1), zoom, axis=2)
    tiles = np.round(255 * np.broadcast_to(tiles, (*tiles.shape[:3], 3))).astype(np.uint8)
    widest = max(text_width(f"(true: {name}) 100%") for name in class_names)
    cell_width, cell_height = max(width * zoom, widest) + 8, height * zoom + CAPTION
    across = GRID_SIDE
    image, draw = canvas(across * cell_width, -(-count // across) * cell_height)
    probabilities = predictions.get("probabilities")
    for index, (row, tile) in enumerate(zip(rows, tiles, strict=True)):
        left = (index % across) * cell_width
        top = (index // across) * cell_height
        predicted, target = predictions["predicted"][row], predictions["target"][row]
        caption = class_names[predicted]
        if probabilities is not None:
            caption += f" {probabilities[row, predicted]:.0%}"
        if predicted != target:
            caption += f"\n(true: {class_names[target]})"
        centered_text(
            draw, (left + cell_width / 2, top + CAPTION / 2), caption,
            BLACK if predicted == target else RED,
        )  # fmt: skip
        image.paste(Image.fromarray(tile), (left + (cell_width - width * zoom) // 2, top + CAPTION))
    return as_array(image)
