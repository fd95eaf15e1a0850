"""`RegressionTask`: trains any network with any regression loss; owns the metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn

from experiments.tasks.classification import (
    OptimizerFactory,
    SchedulerFactory,
    configure_optimizers,
    weight_penalty,
)
from experiments.tasks.metrics import regression_metrics, stage_metrics


def _unchanged(values: torch.Tensor) -> torch.Tensor:
    return values


class RegressionTask(pl.LightningModule):
    """Regression with RMSE, MAE and R² logged per epoch as ``{stage}/rmse``, ``{stage}/mae``,
    ``{stage}/r2`` and the training-scale loss as ``{stage}/loss``.

    The network and loss work on targets as the data serves them (possibly log-transformed
    and standardized); metrics are computed after mapping predictions and targets back with
    ``original_units``, so they are always in the data's own units.

    Args:
        net: maps inputs to ``num_targets`` values.
        loss: ``loss(predictions, targets)``, e.g. MSE or `EpsilonInsensitiveLoss`.
        optimizer: builds the optimizer from the parameters (a Hydra partial).
        scheduler: builds a per-epoch lr scheduler from the optimizer, or None.
        num_targets: values predicted per row.
        l2_penalty: coefficient of `weight_penalty` added to the loss (``1 / (C * n_train)``).
        original_units: maps served targets back to the data's units
            (`DataShapes.original_units`); None when the data serves them unchanged.
    """

    def __init__(
        self,
        net: nn.Module,
        loss: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None,
        num_targets: int = 1,
        l2_penalty: float = 0.0,
        original_units: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(
            ignore=["net", "loss", "optimizer", "scheduler", "original_units"], logger=False
        )
        self.net = net
        self.loss = loss
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.l2_penalty = l2_penalty
        self.original_units = original_units or _unchanged
        self.metrics = stage_metrics(regression_metrics())

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Predictions in the original target units, shape (batch,) or (batch, targets)."""
        return self.original_units(self._predict(inputs))

    def _predict(self, inputs: torch.Tensor) -> torch.Tensor:
        predictions = self.net(inputs)
        return predictions.squeeze(1) if predictions.shape[1] == 1 else predictions

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        inputs, targets = batch
        predictions = self._predict(inputs)
        loss = self.loss(predictions, targets)
        if self.l2_penalty and stage == "train":
            loss = loss + self.l2_penalty * weight_penalty(self.net)
        self.metrics[f"{stage}_metrics"].update(
            loss.detach(), self.original_units(predictions.detach()), self.original_units(targets)
        )
        return loss

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "test")

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        # Logged after the epoch's last batch rather than in `on_train_epoch_end`: Lightning
        # runs callbacks' epoch-end hooks (EpochLog, FailOnNonFiniteLoss) before the module's.
        if self.trainer.is_last_batch:
            self._log_epoch("train")

    def on_train_epoch_end(self) -> None:
        if self.metrics[
            "train_metrics"
        ].pending:  # an epoch cut short (max_steps) has no last batch
            self._log_epoch("train")

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def _log_epoch(self, stage: str) -> None:
        self.log_dict(
            self.metrics[f"{stage}_metrics"].compute_and_reset(), on_step=False, on_epoch=True
        )

    def configure_optimizers(self) -> Any:
        return configure_optimizers(self, self.optimizer_factory, self.scheduler_factory)
