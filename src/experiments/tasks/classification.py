"""`ClassificationTask`: any network, any loss, accuracy and macro-F1."""

from __future__ import annotations

from collections.abc import Mapping

from torch import nn
from torchmetrics import Metric

from experiments.tasks.metrics import classification_metrics
from experiments.tasks.schedule import Schedule
from experiments.tasks.supervised import OptimizerFactory, SupervisedTask


class ClassificationTask(SupervisedTask):
    """Classification with accuracy and macro-F1 logged per epoch as ``{stage}/acc``,
    ``{stage}/f1`` and ``{stage}/loss``.

    Args:
        net: maps inputs to one score per class.
        loss: ``loss(scores, targets)``, e.g. cross-entropy or `MulticlassHingeLoss`.
        optimizer: builds the optimizer from the parameters (a Hydra partial).
        scheduler: the learning-rate schedule, or None.
        num_classes: number of classes.
        l2_penalty: coefficient of the weight penalty added to the training loss
            (SVM-style models: ``1 / (C * n_train)``).
        metrics: more metrics by name (root config ``metrics``), logged as
            ``{stage}/<name>`` beside the defaults; usable as ``monitor``.
    """

    def __init__(
        self,
        net: nn.Module,
        loss: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: Schedule | None,
        num_classes: int,
        l2_penalty: float = 0.0,
        metrics: Mapping[str, Metric] | None = None,
    ) -> None:
        super().__init__(
            net,
            loss,
            optimizer,
            scheduler,
            classification_metrics(num_classes, metrics),
            l2_penalty,
        )
        self.save_hyperparameters(
            ignore=["net", "loss", "optimizer", "scheduler", "metrics"], logger=False
        )
