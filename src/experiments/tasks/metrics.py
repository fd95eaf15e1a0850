"""The metrics every model is scored with, Lightning task or scikit-learn baseline alike."""

from __future__ import annotations

from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection, R2Score
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score


def classification_metrics(num_classes: int) -> MetricCollection:
    """``acc`` (accuracy over all rows) and ``f1`` (F1 averaged over classes, unweighted)."""
    return MetricCollection(
        {
            "acc": MulticlassAccuracy(num_classes, average="micro"),
            "f1": MulticlassF1Score(num_classes, average="macro"),
        }
    )


def regression_metrics() -> MetricCollection:
    """``rmse``, ``mae`` and ``r2`` (averaged over targets), in the targets' units."""
    return MetricCollection(
        {
            "rmse": MeanSquaredError(squared=False),
            "mae": MeanAbsoluteError(),
            "r2": R2Score(multioutput="uniform_average"),
        }
    )
