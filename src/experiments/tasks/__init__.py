"""LightningModules that train networks, their metrics and losses, and the Lightning
callbacks of a run (when training stops among them). May import `config` only (no
omegaconf: they take plain arguments)."""

from experiments.tasks.classification import ClassificationTask
from experiments.tasks.losses import EpsilonInsensitiveLoss, MulticlassHingeLoss
from experiments.tasks.regression import RegressionTask
from experiments.tasks.stopping import EarlyStopping, FullBatch, StopOnConvergence
from experiments.tasks.supervised import Schedule, SupervisedTask, quiet_lightning_warnings

__all__ = [
    "ClassificationTask",
    "EarlyStopping",
    "EpsilonInsensitiveLoss",
    "FullBatch",
    "MulticlassHingeLoss",
    "RegressionTask",
    "Schedule",
    "StopOnConvergence",
    "SupervisedTask",
    "quiet_lightning_warnings",
]
