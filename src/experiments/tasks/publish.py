"""`EpochMetricsPublisher`: a fit's epoch metrics to the callbacks and loggers, without
Lightning's ``self.log``."""

from __future__ import annotations

import math
import time

import pytorch_lightning as pl
import torch

from experiments.compat.lightning import publish_metrics


class EpochMetricsPublisher:
    """Hands one epoch's metrics of a fit to the callbacks (``trainer.callback_metrics``:
    checkpoints, early stopping, pruning) and to the loggers, at the step and with the
    ``epoch`` value at which Lightning logs epoch-level metrics.

    What ``self.log(name, value, on_epoch=True)`` does with a value that is already the
    epoch's, without Lightning's result collection, which exists to reduce values logged in
    every step (the tasks log once per epoch): its bookkeeping costs ~0.7 ms a call on a
    2-core CPU, three or four calls per stage and epoch, ~10-30 % of a small MLP's epoch
    (``benchmarks/README.md``, issue 16). Not for ``trainer.validate``/``test``, which
    return only what ``self.log`` saw.

    The loggers write their files (``logger.save()``: TensorBoard's flush, the CSV file) at
    most once per ``save_seconds``, rather than after every stage of every epoch as
    Lightning does; they save the rest when the fit ends (``finalize``).

    Args:
        save_seconds: seconds between two ``logger.save()`` calls.
    """

    def __init__(self, save_seconds: float = 1.0) -> None:
        self.save_seconds = save_seconds
        self._saved_at = -math.inf

    def __call__(self, trainer: pl.Trainer, values: dict[str, torch.Tensor]) -> None:
        publish_metrics(trainer, values)
        if trainer.sanity_checking:  # Lightning logs nothing of the sanity check either
            return
        scalars = {name: value.item() for name, value in values.items()}
        scalars["epoch"] = trainer.current_epoch
        # The epoch's last optimizer step, counted from 0, as Lightning logs epoch metrics.
        step = trainer.global_step - 1
        save = time.monotonic() - self._saved_at >= self.save_seconds
        for logger in trainer.loggers:
            logger.log_metrics(scalars, step=step)
            if save:
                logger.save()
        if save:
            self._saved_at = time.monotonic()
