"""A linear model over flattened inputs: the network of logistic regression and linear SVMs,
and the linear head of the kernel SVMs."""

from __future__ import annotations

import torch
from torch import nn


class LinearScores(nn.Linear):
    """``W x + b``: one score per class, or one value per regression target.

    Two classes get one weight row ``w`` and the scores ``(0, w x + b)``, as scikit-learn's
    binary ``LogisticRegression`` and ``LinearSVC`` have one: softmax and the Crammer-Singer
    hinge depend only on the difference of the two scores, so a second row would add
    nothing to the fit but its share of the L2 penalty, which then falls on
    ``||w1 - w0||^2 / 2`` at half strength (``C`` would act as scikit-learn's ``2 C``).
    With one row the cross-entropy of the scores is the logistic loss of ``w x + b`` and the
    hinge is ``max(0, 1 - y (w x + b))`` for ``y = ±1``: scikit-learn's objectives at the
    same ``C``. Predictions, probabilities (the softmax of ``(0, s)`` is the sigmoid of ``s``)
    and per-class metrics see two columns either way.

    Args:
        in_features: size of one input.
        num_outputs: classes or regression targets.
        bias: learn an intercept (never penalized).
        two_classes: the outputs are the scores of two classes (from the data: a
            two-class classification), not two regression targets.
    """

    def __init__(
        self, in_features: int, num_outputs: int, bias: bool = True, two_classes: bool = False
    ) -> None:
        super().__init__(in_features, 1 if two_classes else num_outputs, bias=bias)
        self.two_classes = two_classes

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        scores = super().forward(inputs)
        return torch.cat([torch.zeros_like(scores), scores], dim=1) if self.two_classes else scores


class Linear(nn.Module):
    """``y = W x + b`` on the flattened input (`LinearScores`).

    Args:
        in_features: size of one flattened input (from the data).
        num_outputs: classes or regression targets (from the data).
        bias: learn an intercept.
        two_classes: a two-class classification (from the data): one weight row.
    """

    def __init__(
        self, in_features: int, num_outputs: int, bias: bool = True, two_classes: bool = False
    ) -> None:
        super().__init__()
        self.linear = LinearScores(in_features, num_outputs, bias=bias, two_classes=two_classes)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.linear(inputs.flatten(1))
