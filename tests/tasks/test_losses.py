from __future__ import annotations

import pytest
import torch

from experiments.models.linear import LinearScores
from experiments.tasks import MulticlassHingeLoss


def test_crammer_singer_hinge_by_hand() -> None:
    scores = torch.tensor([[3.0, 1.0, 0.5], [0.2, 0.4, 0.0]])
    targets = torch.tensor([0, 2])
    # row 0: 1 + max(1.0, 0.5) - 3.0 = -1 -> 0; row 1: 1 + max(0.2, 0.4) - 0.0 = 1.4
    assert MulticlassHingeLoss()(scores, targets).item() == pytest.approx(0.7)
    assert MulticlassHingeLoss(squared=True)(scores, targets).item() == pytest.approx(0.98)


def test_gradient_pushes_true_class_up() -> None:
    scores = torch.zeros(1, 3, requires_grad=True)
    MulticlassHingeLoss()(scores, torch.tensor([1])).backward()
    assert scores.grad[0, 1] < 0 and scores.grad.sum() == 0


def test_two_class_scores_make_the_binary_hinge_and_logistic_losses() -> None:
    # One weight row for two classes (LinearScores): scores (0, s) with s = w x + b.
    head = LinearScores(3, 2, two_classes=True)
    inputs, targets = torch.randn(8, 3), torch.tensor([0, 1] * 4)
    scores = head(inputs)
    s, y = scores[:, 1], 2.0 * targets - 1  # y = ±1
    assert scores.shape == (8, 2) and torch.equal(scores[:, 0], torch.zeros(8))
    squared = MulticlassHingeLoss(squared=True)(scores, targets)
    assert squared.item() == pytest.approx((1 - y * s).clamp_min(0).square().mean().item())
    logistic = torch.nn.CrossEntropyLoss()(scores, targets)
    assert logistic.item() == pytest.approx(torch.nn.functional.softplus(-y * s).mean().item())
    assert torch.allclose(scores.softmax(1)[:, 1], torch.sigmoid(s))
