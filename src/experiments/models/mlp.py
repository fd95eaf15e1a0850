"""Multi-layer perceptrons: a shallow net with one hidden layer, or a deep one with many."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh}


class MLP(nn.Module):
    """Flatten, then ``[Linear -> (BatchNorm) -> activation -> (Dropout)]`` per hidden layer,
    then a linear output layer.

    Args:
        in_features: size of one flattened input (from the data).
        num_outputs: classes or regression targets (from the data).
        hidden_sizes: width of each hidden layer; its length is the depth.
        activation: one of ``relu``, ``gelu``, ``tanh``.
        dropout: dropout probability after each hidden layer (0 disables it).
        batch_norm: batch norm after each hidden linear layer.

    Raises:
        ValueError: unknown activation, non-positive width, or dropout outside [0, 1).
    """

    def __init__(
        self,
        in_features: int,
        num_outputs: int,
        hidden_sizes: Sequence[int] = (256,),
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation '{activation}' is not one of {', '.join(ACTIVATIONS)}")
        if any(size < 1 for size in hidden_sizes):
            raise ValueError(f"hidden_sizes must be positive, got {list(hidden_sizes)}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for size in hidden_sizes:
            layers.append(nn.Linear(width, size, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm1d(size))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, num_outputs))
        self.layers = nn.Sequential(*layers)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.layers(inputs)
