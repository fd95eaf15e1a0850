"""Training and testing a network with the Lightning Trainer: the half of `NetworkKind`
that imports Lightning (its ``fit``, ``score`` and ``build_task``), so that loading a network
to predict does not (`experiments.kinds.network`)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig
from pytorch_lightning.callbacks import ModelCheckpoint
from torch import nn

from experiments.config import instantiate_checked
from experiments.data import DataShapes
from experiments.kinds.base import FitOutcome, RunInputs
from experiments.kinds.metrics import build_metrics
from experiments.kinds.network_build import build_task as build_network_task
from experiments.kinds.network_build import count_parameters
from experiments.runs.checkpoints import AtomicCheckpointIO
from experiments.runs.checksums import CHECKPOINTS_DIR
from experiments.runs.ddp import child_ready, ddp_job_scope
from experiments.tasks import quiet_lightning_warnings
from experiments.tasks.callbacks import FitClock, LastEpochMetrics
from experiments.tasks.steps import grouping_blockers, resolve_steps_per_call
from experiments.tasks.stopping import fit_metrics, stopping_record

if TYPE_CHECKING:
    from experiments.data import DataModule
    from experiments.kinds.network import NetworkKind

log = logging.getLogger(__name__)


def build_task(
    cfg: DictConfig, shapes: DataShapes, train_inputs: torch.Tensor, net: nn.Module | None
) -> pl.LightningModule:
    """`NetworkKind.build_task`: the run's task, with the root config's ``metrics``."""
    return build_network_task(
        cfg.model,
        cfg.optimizer,
        cfg.scheduler,
        shapes,
        train_inputs,
        build_metrics(cfg.get("metrics"), shapes),
        net=net,
    )


def group_steps(
    cfg: DictConfig,
    datamodule: DataModule,
    task: pl.LightningModule,
    callbacks: list[pl.Callback],
    optimizer: type | None,
    scheduler: type | None,
) -> None:
    """`NetworkKind.group_steps`, given the classes the optimizer and scheduler build."""
    blockers = grouping_blockers(cfg.trainer, optimizer, scheduler, task=task, callbacks=callbacks)
    datamodule.steps_per_call = task.steps_per_call = resolve_steps_per_call(
        cfg.steps_per_call, datamodule.batches_per_epoch, blockers
    )


def fit(kind: NetworkKind, run: RunInputs) -> FitOutcome:
    """`NetworkKind.fit` of ``kind`` (a subclass's hooks included): fit with the Lightning
    Trainer (from ``run.checkpoint`` when resuming) and test the model of the last epoch (of
    the best one under early stopping, which restores it). DDP child processes re-enter this
    job through the exported environment (`experiments.runs.reentry`)."""
    quiet_lightning_warnings()
    cfg, datamodule = run.cfg, run.datamodule
    task = kind.build_task(cfg, datamodule, run.shapes)
    clock = FitClock()  # fit_seconds over every attempt when resuming
    last_epoch = LastEpochMetrics()  # its metrics when resuming finds no epoch to train
    with ddp_job_scope(run.run_dir, run.overrides) as children:
        trainer = instantiate_checked(
            cfg.trainer,
            "trainer",
            logger=run.loggers,
            callbacks=[*_callbacks(cfg, run.run_dir), clock, last_epoch, children],
            default_root_dir=str(run.run_dir),
            plugins=[AtomicCheckpointIO()],  # checkpoints whole or absent, checked on resume
        )
        _check_before_launch(trainer)
        kind.group_steps(cfg, datamodule, task, trainer.callbacks)
        _warn_of_cpu_fallback(trainer)
        child_ready()  # a DDP child: rank 0 waits for this before it trains
        start = time.perf_counter()
        if run.checkpoint:
            log.info("resuming from %s", run.checkpoint)
        trainer.fit(task, datamodule=datamodule, ckpt_path=run.checkpoint, weights_only=True)
        fit_seconds = clock.earlier + time.perf_counter() - start
        metrics = last_epoch.restored | fit_metrics(trainer)
        start = time.perf_counter()
        (test_metrics,) = trainer.test(task, datamodule=datamodule, verbose=False)
        test_seconds = time.perf_counter() - start
    metrics |= {k: float(v) for k, v in test_metrics.items()}
    return FitOutcome(
        metrics=dict(sorted(metrics.items())),
        fit_seconds=round(fit_seconds, 4),
        test_seconds=round(test_seconds, 4),
        n_params=count_parameters(task.net),
        device=_device_name(trainer.strategy.root_device),
        test_predictions=kind._test_predictions(task, datamodule, run.shapes),
        stopping=stopping_record(trainer),
        test_step=trainer.global_step,
    )


def score(task: pl.LightningModule, cfg: DictConfig, datamodule: DataModule) -> dict[str, float]:
    """The test split's metrics of ``task`` (`NetworkKind.score`)."""
    # The run's own trainer settings (precision, determinism), on one device, recording
    # nothing.
    quiet_lightning_warnings()
    trainer = instantiate_checked(
        cfg.trainer, "trainer", logger=False, callbacks=[], devices=1, num_nodes=1,
        strategy="auto", enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False,
    )  # fmt: skip
    (logged,) = trainer.test(task, datamodule=datamodule, verbose=False)
    return {name: float(value) for name, value in logged.items()}


def _callbacks(cfg: DictConfig, run_dir: Path) -> list[pl.Callback]:
    """The configured callbacks; checkpoint callbacks write into ``<run_dir>/checkpoints``
    unless they name a folder, and are left out with ``trainer.enable_checkpointing=false``."""
    callbacks = [
        instantiate_checked(node, f"callbacks.{name}") for name, node in cfg.callbacks.items()
    ]
    if not cfg.trainer.get("enable_checkpointing", True):
        return [c for c in callbacks if not isinstance(c, ModelCheckpoint)]
    for callback in callbacks:
        if isinstance(callback, ModelCheckpoint) and callback.dirpath is None:
            callback.dirpath = os.path.realpath(run_dir / CHECKPOINTS_DIR)
    return callbacks


def _check_before_launch(trainer: pl.Trainer) -> None:
    """What a callback can refuse from the trainer's settings alone (`check_trainer`, e.g.
    `FullBatch` under DDP), before any DDP process is started.

    Raises:
        ConfigError: a callback refuses these settings.
    """
    for callback in trainer.callbacks:
        if callable(check := getattr(callback, "check_trainer", None)):
            check(trainer)


def _warn_of_cpu_fallback(trainer: pl.Trainer) -> None:
    """``trainer=gpu`` keeps ``accelerator: auto``, so that the same settings run on a machine
    without a GPU (tests, a laptop): say so, once per run, rather than train there silently.
    Mixed precision is what marks a config meant for a GPU."""
    precision = str(trainer.precision)
    if trainer.strategy.root_device.type == "cpu" and "mixed" in precision:
        log.warning(
            "no GPU on this machine: training on the CPU (trainer=gpu and precision %s ask "
            "for a GPU; on the CPU mixed precision is slower than 32-bit)",
            precision,
        )


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)
