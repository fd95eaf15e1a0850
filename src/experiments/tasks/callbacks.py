"""Lightning callbacks of the framework."""

from __future__ import annotations

import logging
import random
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch

log = logging.getLogger(__name__)


class EpochLog(pl.Callback):
    """One DEBUG log line per epoch with the epoch-level metrics (run.log gets it, the
    console does not); reads them once per epoch, so it adds no per-step host sync."""

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = {k: float(v) for k, v in sorted(trainer.callback_metrics.items())}
        text = " ".join(f"{k}={v:.4f}" for k, v in metrics.items())
        log.debug("epoch %d/%d %s", trainer.current_epoch + 1, trainer.max_epochs, text)


class FailOnNonFiniteLoss(pl.Callback):
    """Fails the run when the epoch's training loss is NaN or infinite.

    Lightning would otherwise train on and report garbage metrics as a finished run. The check
    reads the epoch-level loss once per epoch, so it adds no per-step host sync.

    Args:
        metric: the logged loss to check.

    Raises:
        FloatingPointError: from ``on_train_epoch_end``, naming the metric, value and epoch; the
            run is recorded as failed with this message.
    """

    def __init__(self, metric: str = "train/loss") -> None:
        self.metric = metric

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.metric)
        if value is not None and not torch.isfinite(value).all():
            raise FloatingPointError(
                f"{self.metric} is {float(value)} at epoch {trainer.current_epoch + 1}; "
                "lower the learning rate or check the data for NaN/inf"
            )


class RandomStateCheckpoint(pl.Callback):
    """Saves the python, numpy and torch (CPU and CUDA) random states in every checkpoint and
    restores them on resume, so that a resumed run draws the same dropout masks and
    augmentations as an uninterrupted one (Lightning restores weights and loops, not these)."""

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        name, keys, position, has_gauss, cached_gaussian = np.random.get_state()
        checkpoint["random_state"] = {  # plain types and tensors: loadable with weights_only
            "python": random.getstate(),
            "numpy": (name, torch.from_numpy(keys.copy()), position, has_gauss, cached_gaussian),
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        }

    def on_load_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        state = checkpoint.get("random_state")
        if state is None:
            return
        random.setstate(state["python"])
        name, keys, position, has_gauss, cached_gaussian = state["numpy"]
        np.random.set_state((name, keys.numpy(), position, has_gauss, cached_gaussian))
        torch.set_rng_state(state["torch"])
        if state["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])
