"""What the shipped tasks make of their network's outputs, without Lightning: the functions
`SupervisedTask` and `RegressionTask` answer with, and `EvalTask`, the same answers from a
loaded network alone (what `experiments-predict` loads: no Lightning, no metrics)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def mirrored_mean(net: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """The mean of ``net``'s outputs over each image and its mirror image (``test_time_flip``)."""
    return (net(inputs) + net(inputs.flip(-1))) / 2


def one_target_squeezed(predictions: torch.Tensor) -> torch.Tensor:
    """Regression predictions of one target as shape (batch,), of several as they are."""
    return predictions.squeeze(1) if predictions.shape[1] == 1 else predictions


def unchanged(values: torch.Tensor) -> torch.Tensor:
    """Targets served in the data's units, as they are."""
    return values


class EvalTask(nn.Module):
    """A trained network answering as its shipped task (`ClassificationTask`,
    `RegressionTask`) answers in evaluation: ``outputs`` are what the loss compares with the
    targets (class scores; with ``test_time_flip`` their mean over mirror images), and a call
    gives regression predictions in the data's units. Its ``net`` takes the ``net.*``
    weights of the task's checkpoint.

    Args:
        net: the network.
        loss: the run's loss (whether class scores are log-probabilities depends on it).
        task: ``classification`` or ``regression``.
        test_time_flip: classification of images: average over each image and its mirror.
        original_units: regression: maps served targets back to the data's units
            (`DataShapes.original_units`); None when the data serves them unchanged.
    """

    def __init__(
        self,
        net: nn.Module,
        loss: nn.Module,
        task: str,
        test_time_flip: bool = False,
        original_units: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        super().__init__()
        self.net = net
        self.loss = loss
        self.task = task
        self.test_time_flip = test_time_flip
        self.original_units = original_units or unchanged

    def outputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """What the task's ``outputs`` give in evaluation."""
        if self.task == "regression":
            return one_target_squeezed(self.net(inputs))
        return mirrored_mean(self.net, inputs) if self.test_time_flip else self.net(inputs)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Regression: predictions in the data's units, shape (batch,) or (batch, targets);
        classification: the class scores (`outputs`)."""
        outputs = self.outputs(inputs)
        return self.original_units(outputs) if self.task == "regression" else outputs
