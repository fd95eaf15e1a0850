"""Plain `torch.nn.Module` networks; no Lightning, no config objects."""

from experiments.models.linear import Linear
from experiments.models.mlp import MLP

__all__ = ["MLP", "Linear"]
