"""The metrics every model is scored with, Lightning task or scikit-learn baseline alike."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch
from torch import nn
from torchmetrics import (
    MeanAbsoluteError,
    MeanMetric,
    MeanSquaredError,
    Metric,
    MetricCollection,
    R2Score,
)
from torchmetrics.classification import MulticlassConfusionMatrix

STAGES = ("train", "val", "test")


def classification_metrics(
    num_classes: int, extra: Mapping[str, Metric] | None = None
) -> MetricCollection:
    """``acc`` (accuracy over all rows), ``balanced_acc`` (recall averaged over classes),
    ``f1`` (F1 averaged over classes, unweighted), all from one confusion matrix
    (`ConfusionMetrics`), and copies of the ``extra`` metrics under their names
    (`experiments.kinds.metrics`)."""
    return MetricCollection({"confusion": ConfusionMetrics(num_classes)} | _copies(extra))


def regression_metrics(extra: Mapping[str, Metric] | None = None) -> MetricCollection:
    """``rmse``, ``mae`` and ``r2`` (averaged over targets), in the targets' units, and
    copies of the ``extra`` metrics under their names."""
    return MetricCollection(
        {
            "rmse": MeanSquaredError(squared=False),
            "mae": MeanAbsoluteError(),
            "r2": R2Score(multioutput="uniform_average"),
        }
        | _copies(extra)
    )


def _copies(metrics: Mapping[str, Metric] | None) -> dict[str, Metric]:
    return {name: metric.clone() for name, metric in (metrics or {}).items()}


class ConfusionMetrics(MulticlassConfusionMatrix):
    """``acc``, ``balanced_acc`` and ``f1`` from one confusion matrix, for one update per
    batch instead of one per metric (0.8 ms less per stage and epoch of the digits MLP for
    two metrics, issue 16). Predictions are scores (one column per class) or class indices.

    - ``acc``: torchmetrics' ``MulticlassAccuracy(average="micro")``.
    - ``balanced_acc``: recall averaged over the classes that occur in the targets,
      scikit-learn's ``balanced_accuracy_score``: the accuracy of a model that predicts
      every class equally well, whatever the class shares (a majority-class guess of a
      90/10 table scores 0.5, not 0.9).
    - ``f1``: torchmetrics' ``MulticlassF1Score(average="macro")``, F1 averaged over the
      classes that occur in the targets or the predictions.
    """

    def compute(self) -> dict[str, torch.Tensor]:
        counts = self.confmat  # rows: true class, columns: predicted
        hits = counts.diagonal()
        support = counts.sum(1)
        present = support > 0
        recall = hits / support.clamp(min=1)
        # 2 tp + fp + fn per class; zero for a class neither in the targets nor predicted.
        occurrences = counts.sum(0) + support
        occurs = occurrences > 0
        f1 = 2 * hits / occurrences.clamp(min=1)
        # Divisions by at least one, not branches: no host sync (0 for no rows, as torchmetrics).
        return {
            "acc": hits.sum() / counts.sum().clamp(min=1),
            "balanced_acc": (recall * present).sum() / present.sum().clamp(min=1),
            "f1": (f1 * occurs).sum() / occurs.sum().clamp(min=1),
        }


class StageMetrics(nn.Module):
    """The metrics and the mean loss of one stage (``train``, ``val`` or ``test``), accumulated
    on the device every step and computed once per epoch.

    Why not ``self.log`` and ``metric.update`` in every step: each ``self.log`` call costs
    Lightning ~0.5-1 ms of bookkeeping and a torchmetrics update ~0.15 ms (measured on a
    2-core CPU), together more than a whole training step of a small MLP (~0.5 ms). So a
    step only keeps references to its detached outputs, targets and loss (no copy, no host
    sync); they reach the metrics in one update per `FLUSH_ELEMENTS` buffered outputs and at
    the end of the epoch, and tasks log once per epoch.

    Args:
        metrics: the metrics, cloned with the prefix ``{stage}/``.
        stage: the name prefixed to every metric, and to ``loss``.
    """

    # Buffered output elements that trigger an update: 2**22 float32 = 16 MiB of device memory.
    FLUSH_ELEMENTS = 2**22

    def __init__(self, metrics: MetricCollection, stage: str) -> None:
        super().__init__()
        self.stage = stage
        self.metrics = metrics.clone(prefix=f"{stage}/")
        # "disable": no NaN check, which would sync; a NaN loss stays NaN in the epoch mean,
        # where FailOnNonFiniteLoss sees it.
        self.loss = MeanMetric(nan_strategy="disable")
        self._batches: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
        self._buffered = 0

    def update(self, loss: torch.Tensor, outputs: torch.Tensor, targets: torch.Tensor) -> None:
        """Add one batch: its mean ``loss`` (weighted by its rows), ``outputs`` and ``targets``
        (all detached)."""
        self._batches.append((loss.reshape(1), outputs, targets))
        self._buffered += outputs.numel()
        if self._buffered >= self.FLUSH_ELEMENTS:
            self._flush()

    def _flush(self) -> None:
        if not self._batches:
            return
        losses, outputs, targets = zip(*self._batches, strict=True)
        rows = torch.tensor([len(t) for t in targets], device=losses[0].device)
        # One value per row, so the mean weighs batches by their rows (MeanMetric's `weight`
        # is ignored with nan_strategy="disable" in torchmetrics 1.9).
        self.loss.update(torch.cat(losses).repeat_interleave(rows))
        with _native_bincount_on_cpu(rows.device):
            self.metrics.update(torch.cat(outputs), torch.cat(targets))
        self._batches, self._buffered = [], 0

    @property
    def pending(self) -> bool:
        """True when batches were added since the last `compute_and_reset`."""
        return bool(self._batches) or self.loss.update_count > 0

    def compute_and_reset(self) -> dict[str, torch.Tensor]:
        """``{stage}/loss`` and every ``{stage}/<metric>`` over the batches added (synced
        across processes in distributed runs); then starts over."""
        self._flush()
        values = {f"{self.stage}/loss": self.loss.compute(), **self.metrics.compute()}
        self.loss.reset()
        self.metrics.reset()
        return values


@contextmanager
def _native_bincount_on_cpu(device: torch.device) -> Iterator[None]:
    """Deterministic algorithms off on a CPU for the duration, if they were on.

    With ``torch.use_deterministic_algorithms(True)`` (``trainer.deterministic=true``)
    torchmetrics counts classes without ``torch.bincount``, whose CUDA kernel is not
    deterministic, by comparing every row with every class pair instead: twice the digits
    metrics' time per epoch (3.5 against 1.9 ms, measured). The CPU kernel is deterministic,
    and counts are integers: the same numbers either way.
    """
    if device.type != "cpu" or not torch.are_deterministic_algorithms_enabled():
        yield
        return
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(False)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(True, warn_only=warn_only)


def stage_metrics(metrics: MetricCollection) -> nn.ModuleDict:
    """One `StageMetrics` per stage, keyed ``{stage}_metrics`` (``train`` would clash with
    `nn.Module.train`)."""
    return nn.ModuleDict({f"{stage}_metrics": StageMetrics(metrics, stage) for stage in STAGES})
