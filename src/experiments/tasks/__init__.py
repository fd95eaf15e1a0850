"""LightningModules that train networks, and the losses of SVM-style models."""

from experiments.tasks.classification import ClassificationTask
from experiments.tasks.losses import MulticlassHingeLoss

__all__ = ["ClassificationTask", "MulticlassHingeLoss"]
