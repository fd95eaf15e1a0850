"""Lightning's internals this package relies on (pytorch-lightning 2.6; pinned ``<2.7`` in
pyproject.toml), each tested by name in ``tests/compat/test_lightning.py``:

- ``pytorch_lightning.strategies.launchers.subprocess_script._launch_process_observer``:
  what Lightning's DDP launcher (`_SubprocessScriptLauncher`) calls, in the launching
  process, right after it started the other ranks' processes by re-running the script. It
  starts a thread that, when one of them exits non-zero, SIGKILLs them all *and the
  launching process*: inside a sweep run in one process, that ends the whole sweep (exit
  137, no summary). `process_observer` puts another in its place for one job.
- ``trainer.fit_loop.epoch_loop._batches_that_stepped``: the step loggers are given
  (``self.log``, and resume's ``purge_step``); `count_logging_steps` advances it for the
  optimizer steps that grouped steps run within one ``training_step``.
- ``trainer.fit_loop.epoch_loop.manual_optimization.optim_step_progress``: what makes
  ``trainer.global_step`` under manual optimization; `count_optimizer_step` counts a step
  taken on the bare optimizer (`SupervisedTask`'s steps without Lightning's hooks).
- ``trainer._checkpoint_connector.dump_checkpoint``: what ``trainer.save_checkpoint`` would
  write, as a dict (`dump_checkpoint`): `ThrottledModelCheckpoint` keeps a best checkpoint
  in memory until it is due.
- ``ModelCheckpoint._should_skip_saving_checkpoint``, ``._save_checkpoint``,
  ``._last_global_step_saved`` and ``._last_checkpoint_saved``: where `ModelCheckpoint`
  decides to write and records what it wrote; `CheckpointWrites` names them as methods a
  subclass overrides.
- ``trainer.callback_metrics`` and ``trainer.logged_metrics``, written to: public
  properties, read-only by intent, that return the logger connector's own dicts;
  `publish_metrics` puts an epoch's values there without ``self.log`` (`EpochMetricsPublisher`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.strategies.launchers import subprocess_script

OBSERVER_NAME = "_launch_process_observer"


@contextmanager
def process_observer(observer: Callable[[list[subprocess.Popen]], None]) -> Iterator[None]:
    """Within the block, Lightning's DDP launcher calls ``observer`` with the processes it
    started (ranks 1 and up, in order) instead of starting its own killing thread."""
    saved = getattr(subprocess_script, OBSERVER_NAME)
    setattr(subprocess_script, OBSERVER_NAME, observer)
    try:
        yield
    finally:
        setattr(subprocess_script, OBSERVER_NAME, saved)


def count_logging_steps(trainer: pl.Trainer, steps: int) -> None:
    """Advance the step the loggers see by ``steps`` beyond Lightning's own count (one per
    ``training_step`` call)."""
    trainer.fit_loop.epoch_loop._batches_that_stepped += steps


def count_optimizer_step(trainer: pl.Trainer) -> None:
    """Count one optimizer step taken under manual optimization without Lightning's
    optimizer wrapper: ``trainer.global_step`` goes up by one, as its wrapper's step does."""
    progress = trainer.fit_loop.epoch_loop.manual_optimization.optim_step_progress
    progress.increment_ready()
    progress.increment_completed()


def dump_checkpoint(trainer: pl.Trainer, weights_only: bool) -> dict[str, Any]:
    """What ``trainer.save_checkpoint(path, weights_only)`` would write now, as a dict."""
    return trainer._checkpoint_connector.dump_checkpoint(weights_only)


def publish_metrics(trainer: pl.Trainer, values: Mapping[str, torch.Tensor]) -> None:
    """Make ``values`` what the callbacks and the progress bar read as this epoch's
    (``trainer.callback_metrics``, ``trainer.logged_metrics``), as ``self.log`` would."""
    trainer.callback_metrics.update(values)
    trainer.logged_metrics.update(values)


class CheckpointWrites(ModelCheckpoint):
    """`ModelCheckpoint` with its private decisions as methods to override: whether to skip
    a write (`skips_write`), the write (`write`), and recording a checkpoint as saved at this
    step without writing it (`mark_saved`)."""

    def _should_skip_saving_checkpoint(self, trainer: pl.Trainer) -> bool:
        return self.skips_write(trainer)

    def _save_checkpoint(self, trainer: pl.Trainer, filepath: str) -> None:
        self.write(trainer, filepath)

    def skips_write(self, trainer: pl.Trainer) -> bool:
        """Whether to skip the write due now; `ModelCheckpoint`: with ``fast_dev_run``,
        outside fitting, in the sanity check, or when this step's is written already."""
        return ModelCheckpoint._should_skip_saving_checkpoint(self, trainer)

    def write(self, trainer: pl.Trainer, filepath: str) -> None:
        """Write the checkpoint to ``filepath`` and tell the loggers (`ModelCheckpoint`'s)."""
        ModelCheckpoint._save_checkpoint(self, trainer, filepath)

    def mark_saved(self, trainer: pl.Trainer, filepath: str) -> None:
        """Record ``filepath`` as this step's checkpoint, as a write does."""
        self._last_global_step_saved = trainer.global_step
        self._last_checkpoint_saved = filepath
