"""Per-class results: the confusion matrix and per-class scores in result.json, ROC-AUC and
average precision for two classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from experiments.core import train
from experiments.report.per_class import confusion_heatmap, confusion_image, per_class_results


def test_per_class_numbers_by_hand() -> None:
    predictions = {"target": np.array([0, 0, 1, 1, 2]), "predicted": np.array([0, 1, 1, 1, 0])}
    results = per_class_results(predictions, ("a", "b", "c"))
    assert results["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert results["per_class"]["b"] == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2}
    )
    assert results["metrics"] == {}  # three classes: no ROC-AUC


def test_per_class_numbers_are_scikit_learns() -> None:
    generator = np.random.default_rng(0)
    target = generator.integers(0, 4, 300)  # class 4 never occurs, class 3 is never predicted
    predicted = np.where(generator.random(300) < 0.6, target, generator.integers(0, 3, 300))
    results = per_class_results({"target": target, "predicted": predicted}, tuple("abcde"))
    labels = list(range(5))
    assert (
        results["confusion_matrix"] == confusion_matrix(target, predicted, labels=labels).tolist()
    )
    expected = precision_recall_fscore_support(target, predicted, labels=labels, zero_division=0)
    for index, name in enumerate("abcde"):
        assert results["per_class"][name] == pytest.approx(
            dict(
                zip(
                    ("precision", "recall", "f1", "support"),
                    [e[index] for e in expected],
                    strict=True,
                )
            )
        )


@pytest.mark.parametrize("model", ["logreg", "sk_logreg", "svm_linear"])
def test_a_binary_run_records_per_class_results_and_auroc(
    make_cfg, tmp_path: Path, model: str
) -> None:
    cfg = make_cfg("dataset=breast_cancer", f"model={model}", "trainer.max_epochs=5")
    result = train(cfg, tmp_path, [])
    matrix = np.array(result["confusion_matrix"])
    assert matrix.sum() == 114 and matrix.shape == (2, 2)  # breast cancer: 569 rows, 20% test
    assert set(result["per_class"]) == {"malignant", "benign"}
    assert result["metrics"]["test/auroc"] >= 0.95 and result["metrics"]["test/ap"] >= 0.95
    # TensorBoard has them as scalars too, at the step of the other test metrics.
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    for name in ("test/auroc", "test/ap"):
        (scalar,) = events.Scalars(name)
        assert scalar.value == pytest.approx(result["metrics"][name])
        assert scalar.step == events.Scalars("test/acc")[-1].step


def test_the_confusion_matrix_image_shades_each_cell_by_its_count() -> None:
    image = confusion_image([[90, 10], [0, 100]], ("cat", "dog"))
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    # the cells are the only coloured (blue) pixels; count them per quadrant of the grid
    blue = (image[:, :, 2].astype(int) - image[:, :, 0]) > 20
    rows, columns = np.nonzero(blue)
    top, left = rows.min(), columns.min()
    cell = (rows.max() - top + 1) // 2
    shade = [
        [image[top + r * cell + 2, left + c * cell + 2].sum() for c in range(2)] for r in range(2)
    ]
    assert shade[1][1] < shade[0][0] < shade[0][1] < 765  # 100 darkest, then 90, then 10
    assert shade[1][0] == 765  # no mistakes: white


def test_the_heat_map_is_the_counted_image_without_its_text() -> None:
    matrix = [[90, 10, 0], [0, 100, 0], [5, 0, 95]]
    heatmap = confusion_heatmap(matrix)
    assert heatmap.shape == (24, 24, 3) and heatmap.dtype == np.uint8  # 3 x 3 cells of 8 pixels
    cells = heatmap[::8, ::8]
    assert (np.repeat(np.repeat(cells, 8, 0), 8, 1) == heatmap).all()  # one color per cell
    # the same shades as the image with counts, cell for cell
    image = confusion_image(matrix, ("a", "b", "c"))
    blue = (image[:, :, 2].astype(int) - image[:, :, 0]) > 20
    rows, columns = np.nonzero(blue)
    cell = (rows.max() - rows.min() + 1) // 3
    corners = image[rows.min() :: cell, columns.min() :: cell][:3, :3]
    assert (corners == cells).all()
