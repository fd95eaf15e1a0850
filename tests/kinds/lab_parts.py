"""A lab's own parts, as a user's package would hold them: a task, a data loader."""

from __future__ import annotations

import numpy as np
import torch

from experiments.tasks import ClassificationTask


class StepCountingTask(ClassificationTask):
    """The default classification task, plus a logged count of training steps per epoch
    (stands for mixup, a contrastive loss, per-step logging...)."""

    def on_train_epoch_start(self) -> None:
        self.steps = 0

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int):
        self.steps += 1
        return super().training_step(batch, batch_idx)

    def on_train_epoch_end(self) -> None:
        super().on_train_epoch_end()
        self.log("train/steps", float(self.steps))


def blobs(rows: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Two separable Gaussian blobs in 4 dimensions, as columns ``x0..x3`` and ``label``."""
    generator = np.random.default_rng(seed)
    labels = np.arange(rows) % 2
    points = generator.normal(size=(rows, 4)) + 3.0 * labels[:, None]
    return {f"x{i}": points[:, i] for i in range(4)} | {"label": labels.astype(str)}
