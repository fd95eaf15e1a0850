from __future__ import annotations

import pytest
import torch

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
