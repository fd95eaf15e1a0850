"""A linear model over flattened inputs: the network of logistic regression and linear SVMs."""

from __future__ import annotations

import torch
from torch import nn


class Linear(nn.Module):
    """``y = W x + b`` on the flattened input.

    Args:
        in_features: size of one flattened input (from the data).
        num_outputs: classes or regression targets (from the data).
        bias: learn an intercept.
    """

    def __init__(self, in_features: int, num_outputs: int, bias: bool = True) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, num_outputs, bias=bias)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.linear(inputs.flatten(1))
