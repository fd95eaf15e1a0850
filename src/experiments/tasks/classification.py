"""`ClassificationTask`: trains any network with any loss; owns the metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn

from experiments.tasks.metrics import classification_metrics, stage_metrics

OptimizerFactory = Callable[..., torch.optim.Optimizer]
SchedulerFactory = Callable[[torch.optim.Optimizer], Any]


def weight_penalty(net: nn.Module) -> torch.Tensor:
    """``||W||^2 / 2`` over the weight matrices and kernels (parameters with 2+ dims):
    biases and normalization scales are not penalized, as in scikit-learn's SVMs."""
    return sum(p.square().sum() for p in net.parameters() if p.ndim >= 2) / 2


def configure_optimizers(
    module: nn.Module, optimizer: OptimizerFactory, scheduler: SchedulerFactory | None
) -> Any:
    """Lightning's ``configure_optimizers`` answer: the optimizer over ``module``'s
    parameters, with its per-epoch scheduler when there is one."""
    built = optimizer(module.parameters())
    if scheduler is None:
        return built
    return {"optimizer": built, "lr_scheduler": scheduler(built)}


class ClassificationTask(pl.LightningModule):
    """Classification with accuracy and macro-F1 logged per epoch as ``{stage}/acc``,
    ``{stage}/f1`` and ``{stage}/loss``.

    Args:
        net: maps inputs to one score per class.
        loss: ``loss(scores, targets)``, e.g. cross-entropy or `MulticlassHingeLoss`.
        optimizer: builds the optimizer from the parameters (a Hydra partial).
        scheduler: builds a per-epoch lr scheduler from the optimizer, or None.
        num_classes: number of classes.
        l2_penalty: coefficient of `weight_penalty` added to the loss (SVM-style models:
            ``1 / (C * n_train)``).
    """

    def __init__(
        self,
        net: nn.Module,
        loss: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None,
        num_classes: int,
        l2_penalty: float = 0.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["net", "loss", "optimizer", "scheduler"], logger=False)
        self.net = net
        self.loss = loss
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.l2_penalty = l2_penalty
        self.metrics = stage_metrics(classification_metrics(num_classes))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.net(inputs)

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        inputs, targets = batch
        scores = self.net(inputs)
        loss = self.loss(scores, targets)
        if self.l2_penalty and stage == "train":
            loss = loss + self.l2_penalty * weight_penalty(self.net)
        self.metrics[f"{stage}_metrics"].update(loss.detach(), scores.detach(), targets)
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
