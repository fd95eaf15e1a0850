"""``steps_per_call``: how many optimizer steps one Lightning ``training_step`` runs.

Lightning's per-step machinery (closure, hooks, optimizer wrapper, batch transfer) costs
~0.3-0.5 ms a step on a 2-core CPU, more than a whole step of a small MLP. With
``steps_per_call=k`` the train loader yields groups of k consecutive batches and the task
runs their k optimizer steps in one ``training_step`` (Lightning's manual optimization), in
the same order and with the same updates, metrics, global steps and checkpoints as k calls
(what Keras calls ``steps_per_execution``).

Settings that count in batches or need Lightning's automatic optimization cannot be grouped:
with ``auto`` they make the run use one step per call (and say so in the log); with an
explicit k > 1 they are refused before training.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint, ProgressBar, Timer

from experiments.config import ConfigError
from experiments.tasks.supervised import SupervisedTask

log = logging.getLogger(__name__)

# The most steps `auto` groups: enough to make Lightning's per-call cost (~0.4 ms) a few
# microseconds per step, few enough that a progress bar still moves within an epoch.
AUTO_MAX = 32

# Trainer settings that grouping would change, with the values under which it changes
# nothing, and why.
_AUTOMATIC_ONLY = "Lightning does it under automatic optimization only (one step per call)"
_COUNTS_CALLS = "it counts calls of training_step, which grouping makes fewer"
_NEUTRAL_TRAINER = {
    "gradient_clip_val": ((None, 0, 0.0), _AUTOMATIC_ONLY),
    "accumulate_grad_batches": ((None, 1), _AUTOMATIC_ONLY),
    "limit_train_batches": ((None, 1, 1.0), _COUNTS_CALLS),
    "val_check_interval": ((None, 1.0), _COUNTS_CALLS),
    "overfit_batches": ((None, 0, 0.0), _COUNTS_CALLS),
    "fast_dev_run": ((None, False, 0), _COUNTS_CALLS),
    "devices": ((None, 1, "auto"), "several processes (DDP) sync gradients once per forward"),
    "num_nodes": ((None, 1), "several processes (DDP) sync gradients once per forward"),
}


# Hooks Lightning calls once per training_step call, with its batch: grouped, they would run
# once per group and be given a list of batches. (The per-step hooks around backward and
# the optimizer step still run per step: `SupervisedTask` calls them.)
PER_BATCH_HOOKS = ("on_train_batch_start", "on_train_batch_end")
# Lightning's callbacks whose per-batch hooks read the global step or the clock, not the
# batch, and so hold under grouping (a progress bar moves once per call).
_GROUPING_SAFE = (ProgressBar, ModelCheckpoint, Timer)


def per_batch_hook_users(task: pl.LightningModule, callbacks: Sequence[pl.Callback]) -> list[str]:
    """Who implements a per-batch hook (`PER_BATCH_HOOKS`) that grouping would break: the
    task, beyond `SupervisedTask`'s own, and each callback other than `_GROUPING_SAFE`'s."""
    users = [
        f"model.task {type(task).__name__} implements {hook}"
        for hook in PER_BATCH_HOOKS
        if getattr(type(task), hook) is not getattr(SupervisedTask, hook)
    ]
    for callback in callbacks:
        for hook in PER_BATCH_HOOKS:
            owner = next(c for c in type(callback).__mro__ if hook in vars(c))
            if owner is not pl.Callback and not issubclass(owner, _GROUPING_SAFE):
                users.append(f"callback {type(callback).__name__} implements {hook}")
    return [f"{user}, which Lightning calls once per batch" for user in users]


def grouping_blockers(
    trainer: Mapping[str, Any],
    optimizer_class: type | None,
    scheduler_class: type | None,
    task: pl.LightningModule | None = None,
    callbacks: Sequence[pl.Callback] = (),
) -> list[str]:
    """Why this run cannot group steps: one line per reason, empty when it can.

    Args:
        trainer: the ``trainer`` settings (the Lightning Trainer's keyword arguments).
        optimizer_class: the optimizer's class; None: unknown (a factory function that
            does not name its return type).
        scheduler_class: the lr scheduler's class; None: none, or unknown.
        task: the LightningModule, when built: only `SupervisedTask`'s own
            ``training_step`` runs grouped steps.
        callbacks: the trainer's callbacks (`per_batch_hook_users`).
    """
    reasons = []
    if task is not None and (
        not isinstance(task, SupervisedTask)
        or type(task).training_step is not SupervisedTask.training_step
    ):
        reasons.append(f"model.task {type(task).__name__} has its own training_step")
    elif task is not None:
        reasons += per_batch_hook_users(task, callbacks)
    reasons += [
        f"trainer.{key}={trainer[key]}: {why}"
        for key, (neutral, why) in _NEUTRAL_TRAINER.items()
        if key in trainer and trainer[key] not in neutral
    ]
    if "ddp" in str(trainer.get("strategy") or ""):
        reasons.append(
            f"trainer.strategy={trainer['strategy']}: DDP syncs gradients once per forward"
        )
    if optimizer_class and issubclass(optimizer_class, torch.optim.LBFGS):
        reasons.append(f"{optimizer_class.__name__} re-evaluates the loss through a closure")
    if scheduler_class and issubclass(scheduler_class, torch.optim.lr_scheduler.ReduceLROnPlateau):
        reasons.append(f"{scheduler_class.__name__} steps on a validation metric")
    return reasons


def resolve_steps_per_call(setting: Any, batches_per_epoch: int, blockers: list[str]) -> int:
    """The optimizer steps per ``training_step`` for this run.

    Args:
        setting: ``auto`` (grouped up to `AUTO_MAX`, at most one epoch per call, unless a
            blocker says otherwise) or a positive integer.
        batches_per_epoch: training batches per epoch (per process).
        blockers: `grouping_blockers` of the run.

    Raises:
        ConfigError: the setting is neither ``auto`` nor a positive integer, or asks for more
            than one step per call where a blocker forbids it.
    """
    if setting == "auto":
        if blockers and batches_per_epoch > 1:
            log.info("steps_per_call=1 (auto): %s", "; ".join(blockers))
            return 1
        chosen = max(1, min(batches_per_epoch, AUTO_MAX))
        log.debug("steps_per_call=%d (auto, %d batches per epoch)", chosen, batches_per_epoch)
        return chosen
    if isinstance(setting, bool) or not isinstance(setting, int) or setting < 1:
        raise ConfigError(f"steps_per_call: expected auto or a positive integer, got {setting!r}")
    if setting > 1 and blockers:
        raise ConfigError(
            [f"steps_per_call={setting}: {reason}; use steps_per_call=1" for reason in blockers]
        )
    return setting
