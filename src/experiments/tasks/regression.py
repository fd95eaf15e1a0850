"""`RegressionTask`: any network, any regression loss, RMSE, MAE and R² in the data's units."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch import nn
from torchmetrics import Metric

from experiments.tasks.metrics import regression_metrics
from experiments.tasks.outputs import one_target_squeezed, unchanged
from experiments.tasks.schedule import Schedule
from experiments.tasks.supervised import OptimizerFactory, SupervisedTask


class RegressionTask(SupervisedTask):
    """Regression with RMSE, MAE and R² logged per epoch as ``{stage}/rmse``, ``{stage}/mae``,
    ``{stage}/r2`` and the training-scale loss as ``{stage}/loss``.

    The network and loss work on targets as the data serves them (possibly log-transformed
    and standardized); metrics are computed after mapping predictions and targets back with
    ``original_units``, so they are always in the data's own units.

    Args:
        net: maps inputs to ``num_targets`` values.
        loss: ``loss(predictions, targets)``, e.g. MSE or `EpsilonInsensitiveLoss`.
        optimizer: builds the optimizer from the parameters (a Hydra partial).
        scheduler: the learning-rate schedule, or None.
        num_targets: values predicted per row.
        l2_penalty: coefficient of `weight_penalty` added to the loss (``1 / (C * n_train)``).
        original_units: maps served targets back to the data's units
            (`DataShapes.original_units`); None when the data serves them unchanged.
        metrics: more metrics by name (root config ``metrics``), logged as
            ``{stage}/<name>`` beside the defaults; usable as ``monitor``.
    """

    def __init__(
        self,
        net: nn.Module,
        loss: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: Schedule | None,
        num_targets: int = 1,
        l2_penalty: float = 0.0,
        original_units: Callable[[torch.Tensor], torch.Tensor] | None = None,
        metrics: Mapping[str, Metric] | None = None,
    ) -> None:
        super().__init__(net, loss, optimizer, scheduler, regression_metrics(metrics), l2_penalty)
        self.save_hyperparameters(
            ignore=["net", "loss", "optimizer", "scheduler", "original_units", "metrics"],
            logger=False,
        )
        self.original_units = original_units or unchanged

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Predictions in the data's units, shape (batch,) or (batch, targets)."""
        return self.original_units(self.outputs(inputs))

    def outputs(self, inputs: torch.Tensor) -> torch.Tensor:
        return one_target_squeezed(self.net(inputs))

    def metric_inputs(
        self, outputs: torch.Tensor, targets: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.original_units(outputs), self.original_units(targets)
