"""An optimizer and a scheduler given as factory functions, as a lab writes them."""

from __future__ import annotations

from collections.abc import Iterable

import torch


def nesterov_sgd(params: Iterable[torch.Tensor], lr: float = 0.05) -> torch.optim.SGD:
    return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)


def warmup(optimizer: torch.optim.Optimizer, total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 10))


def plateau(optimizer: torch.optim.Optimizer) -> torch.optim.lr_scheduler.ReduceLROnPlateau:
    return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer)
