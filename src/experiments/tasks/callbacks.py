"""Lightning callbacks of the framework."""

from __future__ import annotations

import copy
import logging
import random
import time
from typing import Any
from weakref import proxy

import numpy as np
import pytorch_lightning as pl
import torch

from experiments.compat.lightning import CheckpointWrites, dump_checkpoint

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


class ThrottledModelCheckpoint(CheckpointWrites):
    """A `ModelCheckpoint` that writes at most once per ``min_seconds`` of training, the
    first time ``min_seconds`` after training starts.

    A run of sub-second epochs otherwise spends a good part of each epoch writing files
    (measured on a 2-core CPU: ~2-5 ms an epoch for the digits MLP, ~30 ms for the mnist10k
    one, its Adam state included). What a write due within ``min_seconds`` of the last one
    becomes depends on the checkpoint:

    - without a ``monitor`` (``last.ckpt``) it is skipped, unless it is the run's last epoch
      (``max_epochs`` or ``max_steps`` reached, or a callback stopped the run): the next one
      supersedes it, and a run killed in between resumes from a checkpoint at most
      ``min_seconds`` older, to the same numbers;
    - with a ``monitor`` (``best.ckpt``) it is held in memory (a copy of what the file would
      hold, taken when the epoch was the best) and written once ``min_seconds`` have passed,
      when training ends or fails, or before any other checkpoint of the run is written, so
      that a checkpoint's record of the best one names a file that holds it. A run killed in
      between loses the held copy, and resuming keeps the older best file.

    Args:
        min_seconds: seconds between the end of one write and the next write; 0 writes
            whenever `ModelCheckpoint` would.
        **kwargs: `ModelCheckpoint`'s arguments.
    """

    def __init__(self, min_seconds: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min_seconds = min_seconds
        self._written_at: float | None = None
        self._held: tuple[str, dict[str, Any]] | None = None  # (path, checkpoint)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_start(trainer, pl_module)
        # The first write, too, after min_seconds of training: a run shorter than that writes
        # its last epoch only.
        self._written_at = time.monotonic()

    def _recent(self, trainer: pl.Trainer) -> bool:
        """True within ``min_seconds`` of the last write, as rank zero sees it (every process
        must take the same branch: a write ends with a barrier)."""
        recent = (
            self._written_at is not None and time.monotonic() - self._written_at < self.min_seconds
        )
        return bool(trainer.strategy.broadcast(recent))

    def skips_write(self, trainer: pl.Trainer) -> bool:
        if super().skips_write(trainer):
            return True
        return self.monitor is None and self._recent(trainer) and not _is_last_epoch(trainer)

    def write(self, trainer: pl.Trainer, filepath: str) -> None:
        if self._held is not None and self._held[0] != filepath:
            self._write_held(trainer)  # another file (save_top_k > 1): keep it
        self._held = None  # superseded by this epoch's
        if self.monitor is not None and self._recent(trainer):
            self._hold(trainer, filepath)
            return
        super().write(trainer, filepath)
        self._written_at = time.monotonic()

    def _hold(self, trainer: pl.Trainer, filepath: str) -> None:
        # What Trainer.save_checkpoint would write now; tensors are copied, since training
        # goes on updating the weights and optimizer states in place.
        checkpoint = dump_checkpoint(trainer, self.save_weights_only)
        self._held = (filepath, _with_copied_tensors(checkpoint))
        self.mark_saved(trainer, filepath)

    def _write_held(self, trainer: pl.Trainer, wait_for_all: bool = True) -> None:
        """Writes the held checkpoint, if any, as `ModelCheckpoint` writes one (rank zero
        writes; with ``wait_for_all`` every process then waits for the others)."""
        if self._held is None:
            return
        filepath, checkpoint = self._held
        self._held = None
        trainer.strategy.save_checkpoint(checkpoint, filepath)
        if wait_for_all:
            trainer.strategy.barrier("ThrottledModelCheckpoint._write_held")
        self._written_at = time.monotonic()
        if trainer.is_global_zero:
            for logger in trainer.loggers:
                logger.after_save_checkpoint(proxy(self))

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_epoch_end(trainer, pl_module)
        self._write_held_when_due(trainer)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_validation_end(trainer, pl_module)
        self._write_held_when_due(trainer)

    def _write_held_when_due(self, trainer: pl.Trainer) -> None:
        if self._held is not None and not self._recent(trainer):
            self._write_held(trainer)

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        # Another checkpoint is being written and records this one's best: put it on disk first.
        self._write_held(trainer)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_end(trainer, pl_module)
        self._write_held(trainer)

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        super().on_exception(trainer, pl_module, exception)
        # The other processes may not have failed: no barrier.
        self._write_held(trainer, wait_for_all=False)


def _with_copied_tensors(value: Any) -> Any:
    """``value`` with the tensors in its dicts, lists and tuples copied, the rest shared.

    Lightning's ``apply_to_collection`` does this too, but took ~4 ms on the digits MLP's
    checkpoint against ~1 ms this way (it inspects every leaf for dataclasses and the like),
    paid in every epoch that improves on the best.
    """
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, dict):
        copied = copy.copy(value)  # the same type (OrderedDict, defaultdict's factory)
        for key, item in value.items():
            copied[key] = _with_copied_tensors(item)
        return copied
    if isinstance(value, list):
        return [_with_copied_tensors(item) for item in value]
    if isinstance(value, tuple):
        items = [_with_copied_tensors(item) for item in value]
        return type(value)._make(items) if hasattr(value, "_make") else tuple(items)
    return value


def _is_last_epoch(trainer: pl.Trainer) -> bool:
    """True in the epoch after which the fit stops (asked at its end, checkpoints run last)."""
    max_epochs = trainer.max_epochs if trainer.max_epochs is not None else -1
    max_steps = trainer.max_steps
    return (
        trainer.should_stop
        or 0 <= max_epochs <= trainer.current_epoch + 1
        or 0 <= max_steps <= trainer.global_step
    )
