"""Image classifiers show a grid of test images with their answers in TensorBoard: the most
confident mistakes first, each titled with the predicted class and its probability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from experiments.report.example_images import chosen_rows

from ..conftest import FAST, train_run


@pytest.mark.parametrize("model", ["logreg", "sk_naive_bayes"])
def test_a_digits_run_logs_its_test_images(tmp_path: Path, model: str) -> None:
    train_run(tmp_path, f"model={model}", *FAST, "trainer.max_epochs=1")
    images = []
    for events in (tmp_path / "tb").rglob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(events), size_guidance={"images": 0})
        accumulator.Reload()
        if "test/examples" in accumulator.Tags()["images"]:
            images += accumulator.Images("test/examples")
    (image,) = images
    assert image.width > 300 and image.height > 300  # a 4x4 grid, not one thumbnail


def test_the_grid_shows_the_most_confident_mistakes_then_right_answers() -> None:
    predictions = {
        "predicted": np.array([0, 1, 1, 0, 1, 0]),
        "target": np.array([0, 0, 1, 1, 0, 0]),  # rows 1, 3 and 4 are wrong
        "probabilities": np.array(
            [[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.7, 0.3], [0.1, 0.9], [0.6, 0.4]]
        ),
    }
    assert chosen_rows(predictions, count=4).tolist() == [4, 3, 0, 2]
    assert chosen_rows(predictions, count=16).tolist() == [4, 3, 1, 0, 2, 5]
