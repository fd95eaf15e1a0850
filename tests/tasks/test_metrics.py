"""Epoch metrics: buffered steps give the numbers of one torchmetrics pass over all rows."""

from __future__ import annotations

import warnings

import pytest
import torch
from sklearn.metrics import balanced_accuracy_score
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

from experiments.tasks.metrics import (
    ConfusionMetrics,
    StageMetrics,
    classification_metrics,
    regression_metrics,
)


def batches(n: int = 5, rows: int = 7, classes: int = 3) -> list[tuple[torch.Tensor, ...]]:
    generator = torch.Generator().manual_seed(0)
    return [
        (
            torch.rand((), generator=generator),
            torch.randn(rows + i, classes, generator=generator),
            torch.randint(0, classes, (rows + i,), generator=generator),
        )
        for i in range(n)
    ]


def test_epoch_values_equal_one_pass_over_all_rows() -> None:
    stage = StageMetrics(classification_metrics(3), "val")
    steps = batches()
    for loss, scores, targets in steps:
        stage.update(loss, scores, targets)
    assert stage.pending
    values = stage.compute_and_reset()

    reference = classification_metrics(3)
    reference.update(torch.cat([s for _, s, _ in steps]), torch.cat([t for _, _, t in steps]))
    expected = reference.compute()
    assert values["val/acc"] == pytest.approx(float(expected["acc"]))
    assert values["val/f1"] == pytest.approx(float(expected["f1"]))
    rows = torch.tensor([len(t) for _, _, t in steps], dtype=torch.float32)
    losses = torch.stack([loss for loss, _, _ in steps])
    assert values["val/loss"] == pytest.approx(float((losses * rows).sum() / rows.sum()))
    assert not stage.pending


def scores_for(predicted: list[int], classes: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.tensor(predicted), classes).float()


@pytest.mark.parametrize(
    ("predictions", "targets"),
    [
        (torch.randn(200, 5, generator=torch.Generator().manual_seed(1)),
         torch.randint(0, 5, (200,), generator=torch.Generator().manual_seed(2))),
        (torch.tensor([0, 2, 2, 1, 0, 2]), torch.tensor([0, 1, 2, 1, 1, 2])),  # class indices
        (scores_for([0, 0, 1, 1, 0], 4), torch.tensor([0, 1, 1, 1, 0])),  # 2, 3 never occur
        (scores_for([0, 0, 0, 0], 3), torch.tensor([0, 1, 2, 2])),  # 1, 2 never predicted
        (scores_for([1, 2, 1, 2], 3), torch.tensor([0, 0, 0, 0])),  # nothing right
    ],
    ids=["scores", "indices", "absent-classes", "never-predicted", "all-wrong"],
)  # fmt: skip
def test_confusion_metrics_are_torchmetrics_and_sklearn_values(
    predictions: torch.Tensor, targets: torch.Tensor
) -> None:
    classes = 5 if predictions.ndim == 1 else predictions.shape[1]
    fused = ConfusionMetrics(classes)
    accuracy = MulticlassAccuracy(classes, average="micro")
    f1 = MulticlassF1Score(classes, average="macro")
    for metric in (fused, accuracy, f1):
        metric.update(predictions[:3], targets[:3])  # two updates: counts add up
        metric.update(predictions[3:], targets[3:])
    values = fused.compute()
    assert float(values["acc"]) == pytest.approx(float(accuracy.compute()), abs=1e-6)
    assert float(values["f1"]) == pytest.approx(float(f1.compute()), abs=1e-6)
    predicted = predictions if predictions.ndim == 1 else predictions.argmax(1)
    with warnings.catch_warnings():  # "y_pred contains classes not in y_true": ignored, as here
        warnings.simplefilter("ignore", UserWarning)
        balanced = balanced_accuracy_score(targets.numpy(), predicted.numpy())
    assert float(values["balanced_acc"]) == pytest.approx(balanced, abs=1e-6)


def test_balanced_accuracy_of_a_majority_guess_is_chance() -> None:
    """90 rows of class 0, 10 of class 1, every row predicted 0: accuracy 0.9, balanced 0.5."""
    metrics = classification_metrics(2)
    metrics.update(torch.zeros(100, dtype=torch.long), (torch.arange(100) >= 90).long())
    values = metrics.compute()
    assert float(values["acc"]) == pytest.approx(0.9)
    assert float(values["balanced_acc"]) == pytest.approx(0.5)


def test_large_buffers_are_flushed_into_the_metrics_early(monkeypatch) -> None:
    monkeypatch.setattr(StageMetrics, "FLUSH_ELEMENTS", 20)
    stage = StageMetrics(regression_metrics(), "train")
    stage.update(torch.tensor(1.0), torch.arange(25.0), torch.arange(25.0))
    assert stage.loss.update_count == 1  # flushed: nothing left buffered
    stage.update(torch.tensor(3.0), torch.arange(5.0), torch.arange(5.0) + 1)
    values = stage.compute_and_reset()
    assert values["train/loss"] == pytest.approx((1.0 * 25 + 3.0 * 5) / 30)
    assert values["train/mae"] == pytest.approx(5 / 30)


@pytest.mark.parametrize("warn_only", [False, True])
def test_deterministic_runs_count_the_same_and_keep_their_setting(
    warn_only: bool, monkeypatch
) -> None:
    # torchmetrics avoids torch.bincount under deterministic algorithms (CUDA's is not
    # deterministic); on a CPU the metrics count with it, to the same numbers.
    bincount, counted = torch.bincount, []

    def counting_bincount(*args, **kwargs) -> torch.Tensor:
        counted.append(torch.are_deterministic_algorithms_enabled())
        return bincount(*args, **kwargs)

    monkeypatch.setattr(torch, "bincount", counting_bincount)

    def epoch_values() -> dict[str, torch.Tensor]:
        stage = StageMetrics(classification_metrics(3), "val")
        for step in batches():
            stage.update(*step)
        return stage.compute_and_reset()

    plain = epoch_values()
    torch.use_deterministic_algorithms(True, warn_only=warn_only)
    try:
        counted.clear()
        deterministic = epoch_values()
        assert counted and not any(counted), "torch.bincount, with the flag off around it"
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.is_deterministic_algorithms_warn_only_enabled() == warn_only
    finally:
        torch.use_deterministic_algorithms(False)
    assert deterministic == plain
