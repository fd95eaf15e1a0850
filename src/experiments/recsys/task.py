"""`RecommendationTask`: trains a network of (user, item) pairs to predict ratings or to rank
items, with RMSE/MAE or HR@k/NDCG@k."""

from __future__ import annotations

import torch
from torch import nn
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection

from experiments.recsys.ranking_metrics import ranking_metrics
from experiments.tasks.metrics import StageMetrics
from experiments.tasks.supervised import (
    Batch,
    OptimizerFactory,
    Schedule,
    SupervisedTask,
)

OBJECTIVES = ("rating", "ranking")


class RecommendationTask(SupervisedTask):
    """Rating prediction or item ranking with a recommender network
    (`experiments.recsys.networks`).

    - ``rating``: the squared error of the predicted rating, plus the network's
      ``penalty(pairs)`` in training; ``{stage}/rmse`` and ``{stage}/mae`` of the predictions
      clipped to ``rating_scale`` (as scikit-surprise clips them).
    - ``ranking``: every observed training pair is a positive; ``negatives`` items per
      positive are drawn uniformly from all known items (an unobserved pair is a negative
      with high probability: on MovieLens a user has rated ~2% of the items) and the loss is
      the binary cross-entropy of the logits (He et al. 2017). Validation and test rows are
      ``[user, held-out item, sampled negatives...]``: ``{stage}/hr@{top_k}`` and
      ``{stage}/ndcg@{top_k}`` of the held-out item among them, and ``{stage}/loss`` the
      cross-entropy over the row.

    Args:
        net: maps ``(batch, 2)`` user/item index pairs to ``(batch,)`` scores and has
            ``penalty(pairs)``.
        optimizer: builds the optimizer from the parameters (a Hydra partial).
        scheduler: the learning-rate schedule, or None.
        objective: ``rating`` or ``ranking``.
        num_items: item indices (from the data), the range negatives are drawn from.
        negatives: negatives drawn per positive in training (``ranking``).
        rating_scale: ``(lowest, highest)`` for clipping predicted ratings; None: no clipping.
        top_k: the cut-off of the ranking metrics.

    Raises:
        ValueError: an unknown objective or a non-positive ``negatives``.
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: Schedule | None,
        objective: str,
        num_items: int,
        negatives: int = 4,
        rating_scale: tuple[float, float] | None = None,
        top_k: int = 10,
    ) -> None:
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
        if not isinstance(negatives, int) or negatives < 1:
            raise ValueError(f"negatives must be a positive integer, got {negatives!r}")
        ranking = objective == "ranking"
        loss = nn.BCEWithLogitsLoss() if ranking else nn.MSELoss()
        metrics = (
            ranking_metrics(top_k)
            if ranking
            else MetricCollection(
                {"rmse": MeanSquaredError(squared=False), "mae": MeanAbsoluteError()}
            )
        )
        super().__init__(net, loss, optimizer, scheduler, metrics)
        if ranking:  # training batches hold no rows to rank: only the loss is logged
            self.metrics["train_metrics"] = StageMetrics(MetricCollection({}), "train")
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"], logger=False)
        self.objective = objective
        self.num_items = num_items
        self.negatives = negatives
        self.rating_scale = tuple(rating_scale) if rating_scale is not None else None

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        """Predicted ratings (clipped to the scale) or ranking scores of ``(batch, 2)`` pairs."""
        return self._clip(self.net(pairs))

    def _clip(self, scores: torch.Tensor) -> torch.Tensor:
        if self.objective == "rating" and self.rating_scale is not None:
            return scores.clamp(*self.rating_scale)
        return scores

    def _step(self, batch: Batch, stage: str) -> torch.Tensor:
        inputs, targets = batch
        if self.objective == "rating":
            pairs, outputs = inputs, self.net(inputs)
            loss = self.loss(outputs, targets)
            metric_inputs = (self._clip(outputs.detach()), targets)
        elif stage == "train":
            pairs, labels = self._with_negatives(inputs)
            outputs = self.net(pairs)
            loss = self.loss(outputs, labels)
            metric_inputs = (outputs.detach(), labels)
        else:
            pairs, scores = self._candidate_scores(inputs)
            labels = torch.zeros_like(scores)
            labels[:, 0] = 1.0
            loss = self.loss(scores, labels)
            metric_inputs = (scores.detach(), targets)
        if stage == "train":
            loss = loss + self.net.penalty(pairs)
        self.metrics[f"{stage}_metrics"].update(loss.detach(), *metric_inputs)
        return loss

    def _with_negatives(self, positives: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The positives and ``negatives`` random items per positive, with 1/0 labels."""
        users = positives[:, 0].repeat_interleave(self.negatives)
        items = torch.randint(1, self.num_items, (len(users),), device=positives.device)
        pairs = torch.cat([positives, torch.stack([users, items], dim=1)])
        labels = torch.zeros(len(pairs), device=positives.device)
        labels[: len(positives)] = 1.0
        return pairs, labels

    def _candidate_scores(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Scores of ``[user, item, item, ...]`` rows, shape (rows, items per row)."""
        users, items = rows[:, :1], rows[:, 1:]
        pairs = torch.stack([users.expand_as(items), items], dim=2).reshape(-1, 2)
        return pairs, self.net(pairs).reshape(items.shape)
