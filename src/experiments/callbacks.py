"""Lightning callbacks of the framework."""

from __future__ import annotations

import logging

import pytorch_lightning as pl

log = logging.getLogger(__name__)


class EpochLog(pl.Callback):
    """One DEBUG log line per epoch with the epoch-level metrics (run.log gets it, the
    console does not); reads them once per epoch, so it adds no per-step host sync."""

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = {k: float(v) for k, v in sorted(trainer.callback_metrics.items())}
        text = " ".join(f"{k}={v:.4f}" for k, v in metrics.items())
        log.debug("epoch %d/%d %s", trainer.current_epoch + 1, trainer.max_epochs, text)
