"""Lightning callbacks of the framework."""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint

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


class FitClock(pl.Callback):
    """Fit time over every attempt of a run: each checkpoint stores the seconds spent fitting
    so far (``checkpoint["fit_seconds"]``), and a resumed fit starts from those of the
    checkpoint it resumes, so that a run's ``fit_seconds`` is the total, not the last
    attempt's. Always added to a network's trainer (not a config option: results rely on it).
    """

    def __init__(self) -> None:
        self.earlier = 0.0  # seconds of the attempts before this one
        self._start: float | None = None

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._start = time.perf_counter()

    def seconds(self) -> float:
        """Seconds fitted so far, earlier attempts included."""
        now = time.perf_counter() - self._start if self._start is not None else 0.0
        return self.earlier + now

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        checkpoint["fit_seconds"] = self.seconds()

    def on_load_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        self.earlier = float(checkpoint.get("fit_seconds", 0.0))


class LastEpochMetrics(pl.Callback):
    """The last epoch's ``train/`` and ``val/`` metrics in every checkpoint
    (``checkpoint["epoch_metrics"]``), restored into ``restored`` on resume: a run cut after
    its last epoch's checkpoint resumes with no epoch left to train, and still reports the
    metrics of the model it tests. Always added to a network's trainer, like `FitClock`."""

    def __init__(self) -> None:
        self.restored: dict[str, float] = {}

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        checkpoint["epoch_metrics"] = {
            k: float(v)
            for k, v in trainer.callback_metrics.items()
            if k.startswith(("train/", "val/"))
        }

    def on_load_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        self.restored = dict(checkpoint.get("epoch_metrics", {}))


class ThrottledModelCheckpoint(ModelCheckpoint):
    """A `ModelCheckpoint` that writes at most once per ``min_seconds`` of training, and
    always at the run's last epoch (``max_epochs`` or ``max_steps`` reached, or a callback
    stopped the run).

    For ``last.ckpt``: a run of sub-second epochs otherwise spends a good part of each epoch
    writing a file that the next epoch replaces (~1-3 ms for a small MLP, as long as its
    epoch). A run killed in between resumes from a checkpoint at most ``min_seconds`` older,
    to the same numbers. Not for a monitored best checkpoint: a skipped epoch may have been
    the best.

    Args:
        min_seconds: seconds between the end of one write and the next write; 0 writes
            whenever `ModelCheckpoint` would.
        **kwargs: `ModelCheckpoint`'s arguments.
    """

    def __init__(self, min_seconds: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min_seconds = min_seconds
        self._written_at: float | None = None

    def _should_skip_saving_checkpoint(self, trainer: pl.Trainer) -> bool:
        if super()._should_skip_saving_checkpoint(trainer):
            return True
        recent = (
            self._written_at is not None and time.monotonic() - self._written_at < self.min_seconds
        )
        return recent and not _is_last_epoch(trainer)

    def _save_checkpoint(self, trainer: pl.Trainer, filepath: str) -> None:
        super()._save_checkpoint(trainer, filepath)
        self._written_at = time.monotonic()


def _is_last_epoch(trainer: pl.Trainer) -> bool:
    """True in the epoch after which the fit stops (asked at its end, checkpoints run last)."""
    max_epochs = trainer.max_epochs if trainer.max_epochs is not None else -1
    max_steps = trainer.max_steps
    return (
        trainer.should_stop
        or 0 <= max_epochs <= trainer.current_epoch + 1
        or 0 <= max_steps <= trainer.global_step
    )
