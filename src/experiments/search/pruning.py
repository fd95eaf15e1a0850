"""Stopping hopeless trials: `OptunaPruning` reports a metric to the run's Optuna trial each
epoch; `CheckpointPruning` holds a run to given values at fixed epochs (the fair protocol's)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytorch_lightning as pl

from experiments.config.errors import RunPruned
from experiments.search.storage import open_storage


class OptunaPruning(pl.Callback):
    """Reports ``monitor`` to trial number ``trial`` of the study after each validation epoch
    and stops the run with `RunPruned` when the study's ``pruner`` says it cannot beat the
    trials before it. The run is then recorded as ``pruned``.

    The sweeper asks for the trial in its own process; this callback, in the job's process
    (possibly another machine), attaches to it through the shared storage.

    Args:
        storage: the study's storage URL, e.g. ``sqlite:///outputs/search/x/study.db`` or
            ``journal:/shared/search/x/study.log`` (`experiments.search.storage`).
        study_name: the study's name in the storage.
        trial: the trial number the sweeper gave this run; None outside a search (the
            callback then does nothing).
        monitor: the metric to report, logged per validation epoch.
        pruner: an ``optuna.pruners.BasePruner``; a study does not store its pruner, so each
            job builds it from config.
    """

    def __init__(
        self, storage: str, study_name: str, trial: int | None, monitor: str, pruner: Any
    ) -> None:
        self.storage = storage
        self.study_name = study_name
        self.trial_number = trial
        self.monitor = monitor
        self.pruner = pruner
        self.trial: Any = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self.trial_number is None or self.trial is not None:
            return
        import optuna  # only runs inside a search pay for the import

        storage = open_storage(self.storage)
        study = optuna.load_study(study_name=self.study_name, storage=storage, pruner=self.pruner)
        trial_id = storage.get_trial_id_from_study_id_trial_number(
            storage.get_study_id_from_name(self.study_name), self.trial_number
        )
        # Optuna's own way to act for a trial asked elsewhere (its optimize loop does the same).
        self.trial = optuna.trial.Trial(study, trial_id)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.trial is None or trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            return
        epoch = trainer.current_epoch
        self.trial.report(float(value), step=epoch)
        if self.trial.should_prune():
            raise RunPruned(f"{self.monitor}={float(value):.4f} at epoch {epoch + 1}")


class CheckpointPruning(pl.Callback):
    """Records ``monitor`` at fixed checkpoint epochs and stops the run with `RunPruned` at a
    checkpoint where it is worse than that checkpoint's bar. The fair protocol's pruning
    (`experiments.protocol.run`): its search trials get the median of their search's
    earlier finished trials at each checkpoint as the bar, and record their own values
    (``result.json``: ``checkpoint_scores``) for the trials after them. Decided from finished
    trials only, it stops the same trials whatever ran beside them.

    Args:
        monitor: the validation metric, logged per validation epoch.
        mode: ``max`` or ``min``: which values are better.
        checkpoints: the checkpoint epochs as fractions of the run's ``max_epochs`` (1/3:
            epoch 10 of 30); a checkpoint at or after the last epoch is none.
        bars: epoch (1-based: epochs trained) -> the value the run must reach there; a
            checkpoint without a bar is only recorded.
    """

    def __init__(
        self,
        monitor: str,
        mode: str,
        checkpoints: Sequence[float],
        bars: Mapping[int, float] | None = None,
    ) -> None:
        self.monitor = monitor
        self.sign = 1.0 if mode == "max" else -1.0
        self.fractions = tuple(checkpoints)
        self.bars = {int(epoch): float(bar) for epoch, bar in (bars or {}).items()}
        self.epochs: set[int] = set()
        self.scores: dict[int, float] = {}

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        last = trainer.max_epochs or 0
        self.epochs = {epoch for f in self.fractions if 1 <= (epoch := round(f * last)) < last}

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        epoch = trainer.current_epoch + 1  # epochs trained
        value = trainer.callback_metrics.get(self.monitor)
        if trainer.sanity_checking or epoch not in self.epochs or value is None:
            return
        self.scores[epoch] = float(value)
        bar = self.bars.get(epoch)
        if bar is not None and self.sign * float(value) < self.sign * bar:
            raise RunPruned(
                f"{self.monitor}={float(value):.4f} at epoch {epoch}, worse than the median "
                f"{bar:.4f} of its search's earlier trials there"
            )

    def record(self) -> dict[str, Any]:
        """``checkpoint_scores``: epoch -> ``monitor`` at each checkpoint reached."""
        return {"checkpoint_scores": dict(sorted(self.scores.items()))}
