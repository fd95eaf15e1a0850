"""Losses of SVM-style models."""

from __future__ import annotations

import torch
from torch import nn


class MulticlassHingeLoss(nn.Module):
    """Crammer-Singer multiclass hinge loss, averaged over the batch.

    For scores ``s`` and true class ``y``: ``max(0, 1 + max_{j != y} s_j - s_y)``, squared
    when ``squared`` (the smooth variant, scikit-learn LinearSVC's default loss).
    Crammer-Singer rather than one-vs-rest: one loss over all classes, so one linear layer
    trained with it is a single multiclass SVM.
    """

    def __init__(self, squared: bool = False, margin: float = 1.0) -> None:
        super().__init__()
        self.squared = squared
        self.margin = margin

    @property
    def smooth(self) -> bool:
        """Whether the loss has a continuous gradient (L-BFGS needs one): only when squared."""
        return self.squared

    def forward(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        true_score = scores.gather(1, targets[:, None])
        others = scores.scatter(1, targets[:, None], float("-inf"))
        violation = (self.margin + others.amax(dim=1, keepdim=True) - true_score).clamp_min(0)
        return (violation.square() if self.squared else violation).mean()


class EpsilonInsensitiveLoss(nn.Module):
    """The SVR loss: ``max(0, |prediction - target| - epsilon)``, squared when ``squared``,
    averaged over the batch. Errors within ``epsilon`` (in training-target units) cost nothing.
    """

    def __init__(self, epsilon: float = 0.1, squared: bool = False) -> None:
        super().__init__()
        if epsilon < 0:
            raise ValueError(f"epsilon must be >= 0, got {epsilon}")
        self.epsilon = epsilon
        self.squared = squared

    @property
    def smooth(self) -> bool:
        """Whether the loss has a continuous gradient (L-BFGS needs one): only when squared."""
        return self.squared

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        excess = ((predictions - targets).abs() - self.epsilon).clamp_min(0)
        return (excess.square() if self.squared else excess).mean()
