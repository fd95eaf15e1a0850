"""The network kind: a `torch.nn.Module` inside a task LightningModule, trained by the
Lightning Trainer (CPU, GPU, DDP), saved as Lightning checkpoints."""

from __future__ import annotations

import logging
import os
import time
import typing
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from hydra.utils import get_object
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import ModelCheckpoint

from experiments.config import ConfigError, instantiate_checked
from experiments.config.trusted import Trust
from experiments.data import DataModule, DataShapes
from experiments.kinds.base import FitOutcome, Outputs, RunInputs, require_examples
from experiments.kinds.metrics import build_metrics
from experiments.kinds.network_build import build_loss, build_task, count_parameters
from experiments.runs.checkpoints import AtomicCheckpointIO, verify_checkpoint
from experiments.runs.ddp import child_ready, ddp_job_scope
from experiments.tasks import quiet_lightning_warnings
from experiments.tasks.callbacks import FitClock, LastEpochMetrics
from experiments.tasks.monitor import logged_metrics
from experiments.tasks.steps import grouping_blockers, resolve_steps_per_call
from experiments.tasks.stopping import fit_metrics, stopping_record

log = logging.getLogger(__name__)
# Losses whose scores are log-probabilities up to a constant: their softmax is a probability.
PROBABILISTIC_LOSSES = (torch.nn.CrossEntropyLoss, torch.nn.NLLLoss)


class NetworkKind:
    """Networks (``model.net``: a `_partial_` nn.Module target, sized from the data) with one
    loss per supported task (``model.loss``), trained by the Lightning Trainer."""

    name = "network"
    recommends = False
    model_file = Path("checkpoints") / "last.ckpt"  # the model of the last epoch: the tested one
    missing_model_hint = (
        "it ran with trainer.enable_checkpointing=false or stopped before an epoch ended"
    )
    keys = frozenset(
        {
            "name",
            "net",
            "loss",
            "task",
            "C",
            "channels_last",
            "compile",
            "test_time_flip",
            "search_space",
        }
    )

    def check_data(self, model: DictConfig, datamodule: Any) -> None:
        require_examples(model, datamodule)

    def check_task(self, model: DictConfig, shapes: DataShapes) -> None:
        """Refuse a data task the model has no loss for, without building the network (a
        sweep checks each model once before any job: `GridSweeper`).

        Raises:
            ConfigError: the model does not support ``shapes.task``.
        """
        if "loss" in model:
            build_loss(model, shapes)

    def build_task(
        self, cfg: DictConfig, datamodule: DataModule | None, shapes: DataShapes
    ) -> pl.LightningModule:
        """The task LightningModule of the run's network, loss, optimizer and metrics (a kind
        of networks with another task overrides this)."""
        # Without the data, one row of zeros stands for the train inputs, which only networks
        # built from rows read (Nystroem landmarks; `load_run` loads the data for those).
        rows = datamodule.tensors["train"][0] if datamodule else torch.zeros(1, *shapes.in_shape)
        return build_task(
            cfg.model,
            cfg.optimizer,
            cfg.scheduler,
            shapes,
            rows,
            build_metrics(cfg.get("metrics"), shapes),
        )

    def group_steps(
        self,
        cfg: DictConfig,
        datamodule: DataModule,
        task: pl.LightningModule,
        callbacks: list[pl.Callback],
    ) -> None:
        """Set how many optimizer steps one ``training_step`` runs (``steps_per_call``), on
        the data module (it serves groups of batches) and the task (it steps through them),
        given the trainer's ``callbacks``."""
        blockers = grouping_blockers(
            cfg.trainer,
            built_class(cfg.optimizer._target_),
            built_class(cfg.scheduler.schedule._target_) if cfg.scheduler else None,
            task=task,
            callbacks=callbacks,
        )
        datamodule.steps_per_call = task.steps_per_call = resolve_steps_per_call(
            cfg.steps_per_call, datamodule.batches_per_epoch, blockers
        )

    def describe(self, cfg: DictConfig) -> dict[str, Any]:
        chosen = OmegaConf.to_container(cfg, resolve=True)
        return {
            "model": chosen["model"],
            "optimizer": chosen["optimizer"],
            "scheduler": chosen["scheduler"] or "none",
            "trainer": {"max_epochs": chosen["trainer"]["max_epochs"]},
            "dataset": {"batch_size": chosen["dataset"]["batch_size"]},
        }

    def logged_metrics(self, cfg: DictConfig, shapes: DataShapes) -> list[str] | None:
        if cfg.model.get("task"):  # a lab's own LightningModule may log anything
            return None
        return logged_metrics(shapes.task, with_loss=True, extra=list(cfg.get("metrics") or {}))

    def fit(self, run: RunInputs) -> FitOutcome:
        """Fit with the Lightning Trainer (from ``run.checkpoint`` when resuming) and test the
        model of the last epoch (of the best one under early stopping, which restores it).
        DDP child processes re-enter this job through the exported environment
        (`experiments.runs.reentry`)."""
        quiet_lightning_warnings()
        cfg, datamodule = run.cfg, run.datamodule
        task = self.build_task(cfg, datamodule, run.shapes)
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
            self.group_steps(cfg, datamodule, task, trainer.callbacks)
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
            test_predictions=self._test_predictions(task, datamodule, run.shapes),
            stopping=stopping_record(trainer),
            test_step=trainer.global_step,
        )

    def load(
        self,
        cfg: DictConfig,
        datamodule: DataModule | None,
        shapes: DataShapes,
        path: Path,
        trust: Trust,
    ) -> pl.LightningModule:
        """The task with the checkpoint's weights, loaded with ``weights_only=True`` (no
        pickle, whatever ``trust`` says)."""
        if path.suffix != ".ckpt":
            raise ConfigError(
                f"ckpt: '{path}': model '{cfg.model.name}' is a network; expected a .ckpt file"
            )
        task = self.build_task(cfg, datamodule, shapes)
        verify_checkpoint(path)  # a garbled file of the right size would load silently
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # torch raises many types for a damaged or foreign file
            raise ConfigError(f"ckpt: cannot read '{path}' as a checkpoint ({error})") from error
        if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
            raise ConfigError(f"ckpt: '{path}' is not a Lightning checkpoint (no state_dict)")
        try:
            task.load_state_dict(checkpoint["state_dict"])
        except RuntimeError as error:  # missing, unexpected or differently shaped weights
            first = str(error).strip().splitlines()
            raise ConfigError(
                f"ckpt: '{path}' does not fit model '{cfg.model.name}' of this run (another "
                f"model or architecture?): {' '.join(line.strip() for line in first[:3])}"
            ) from error
        return task

    def score(
        self,
        model: pl.LightningModule,
        cfg: DictConfig,
        datamodule: DataModule,
        shapes: DataShapes,
    ) -> dict[str, float]:
        # The run's own trainer settings (precision, determinism), on one device, recording
        # nothing.
        quiet_lightning_warnings()
        trainer = instantiate_checked(
            cfg.trainer, "trainer", logger=False, callbacks=[], devices=1, num_nodes=1,
            strategy="auto", enable_checkpointing=False, enable_progress_bar=False,
            enable_model_summary=False,
        )  # fmt: skip
        (logged,) = trainer.test(model, datamodule=datamodule, verbose=False)
        return {name: float(value) for name, value in logged.items()}

    def predict(
        self, model: pl.LightningModule, cfg: DictConfig, shapes: DataShapes, inputs: torch.Tensor
    ) -> Outputs:
        model.eval()
        with torch.no_grad():
            if shapes.task == "regression":  # RegressionTask answers in original units
                return Outputs("values", model(inputs))
            scores = model.outputs(inputs)
        if isinstance(model.loss, PROBABILISTIC_LOSSES):
            return Outputs("probabilities", scores.softmax(dim=1))
        return Outputs("margins", scores)

    def _test_predictions(
        self, task: pl.LightningModule, datamodule: DataModule, shapes: DataShapes
    ) -> dict[str, np.ndarray]:
        inputs, targets = datamodule.tensors["test"]
        task.eval()
        with torch.no_grad():
            batches = inputs.split(datamodule.eval_batch_size)
            outputs = torch.cat([task.outputs(batch.to(task.device)).cpu() for batch in batches])
        if shapes.task == "classification":
            probabilistic = isinstance(getattr(task, "loss", None), PROBABILISTIC_LOSSES)
            return {
                "predicted": outputs.argmax(dim=1).numpy(),
                "target": targets.numpy(),
                "scores": outputs.numpy(),  # logits or margins: monotone in each class's odds
                **({"probabilities": outputs.softmax(dim=1).numpy()} if probabilistic else {}),
            }
        original = shapes.original_units
        return {"predicted": original(outputs).numpy(), "target": original(targets).numpy()}


def built_class(target: str) -> type | None:
    """The class of what ``target`` builds: the class it names, or what a factory function
    names as its return type; None where a factory does not say."""
    factory = get_object(target)
    if isinstance(factory, type):
        return factory
    returned = typing.get_type_hints(factory).get("return")
    return returned if isinstance(returned, type) else None


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
            callback.dirpath = os.path.realpath(run_dir / "checkpoints")
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
