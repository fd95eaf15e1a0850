"""The network kind: a `torch.nn.Module` inside a task LightningModule, trained by the
Lightning Trainer (CPU, GPU, DDP), saved as Lightning checkpoints.

Lightning is imported by the methods that train, score or build a task (from
`experiments.kinds.network_fit`), not with this module: a network whose task is a shipped one
loads to predict as an `EvalTask` (its network and what the task does on top of it), with
torch alone.
"""

from __future__ import annotations

import typing
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from hydra.utils import get_object
from omegaconf import DictConfig, OmegaConf
from torch import nn

from experiments.config import ConfigError
from experiments.config.trusted import Trust
from experiments.data import DataShapes
from experiments.kinds.base import FitOutcome, Outputs, RunInputs, require_examples
from experiments.kinds.network_build import build_eval_task, build_loss
from experiments.runs.checksums import CHECKPOINTS_DIR, verify_checkpoint
from experiments.tasks.monitor import logged_metrics
from experiments.tasks.outputs import EvalTask

if TYPE_CHECKING:
    import pytorch_lightning as pl

    from experiments.data import DataModule

# Losses whose scores are log-probabilities up to a constant: their softmax is a probability.
PROBABILISTIC_LOSSES = (torch.nn.CrossEntropyLoss, torch.nn.NLLLoss)


def _lightning() -> ModuleType:
    """`experiments.kinds.network_fit`, imported on first use: Lightning, and the metrics
    and callbacks, cost seconds of a process start that predicting does not need."""
    from experiments.kinds import network_fit

    return network_fit


class NetworkKind:
    """Networks (``model.net``: a `_partial_` nn.Module target, sized from the data) with one
    loss per supported task (``model.loss``), trained by the Lightning Trainer."""

    name = "network"
    recommends = False
    model_file = Path(CHECKPOINTS_DIR) / "last.ckpt"  # the model of the last epoch: the tested one
    missing_model_hint = (
        "it ran with trainer.enable_checkpointing=false, stopped before an epoch ended, or "
        "ran with keep_model=false (as a protocol's search trials: their models are never used)"
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
        self,
        cfg: DictConfig,
        datamodule: DataModule | None,
        shapes: DataShapes,
        net: nn.Module | None = None,
    ) -> pl.LightningModule:
        """The task LightningModule of the run's network, loss, optimizer and metrics (a kind
        of networks with another task overrides this); ``net``: the network, built already
        (a loaded `EvalTask`'s), or None to build it."""
        return _lightning().build_task(cfg, shapes, _train_rows(datamodule, shapes), net)

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
        optimizer = built_class(cfg.optimizer._target_)
        scheduler = built_class(cfg.scheduler.schedule._target_) if cfg.scheduler else None
        _lightning().group_steps(cfg, datamodule, task, callbacks, optimizer, scheduler)

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
        return _lightning().fit(self, run)

    def load(
        self,
        cfg: DictConfig,
        datamodule: DataModule | None,
        shapes: DataShapes,
        path: Path,
        trust: Trust,
    ) -> nn.Module:
        """The trained model: an `EvalTask` with the checkpoint's ``net.*`` weights when the
        run's task is a shipped one (`_shipped_task`), else the task with all of them;
        loaded with ``weights_only=True`` (no pickle, whatever ``trust`` says)."""
        if path.suffix != ".ckpt":
            raise ConfigError(
                f"ckpt: '{path}': model '{cfg.model.name}' is a network; expected a .ckpt file"
            )
        if self._shipped_task(cfg.model):
            model = build_eval_task(cfg.model, shapes, _train_rows(datamodule, shapes))
        else:
            model = self.build_task(cfg, datamodule, shapes)
        verify_checkpoint(path)  # a garbled file of the right size would load silently
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # torch raises many types for a damaged or foreign file
            raise ConfigError(f"ckpt: cannot read '{path}' as a checkpoint ({error})") from error
        if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
            raise ConfigError(f"ckpt: '{path}' is not a Lightning checkpoint (no state_dict)")
        weights = checkpoint["state_dict"]
        try:
            if isinstance(model, EvalTask):
                model.net.load_state_dict(_net_weights(weights))
            else:
                model.load_state_dict(weights)
        except RuntimeError as error:  # missing, unexpected or differently shaped weights
            first = str(error).strip().splitlines()
            raise ConfigError(
                f"ckpt: '{path}' does not fit model '{cfg.model.name}' of this run (another "
                f"model or architecture?): {' '.join(line.strip() for line in first[:3])}"
            ) from error
        return model

    def _shipped_task(self, model: DictConfig) -> bool:
        """Whether the run's task is a shipped one (`ClassificationTask`, `RegressionTask`),
        whose answers an `EvalTask` gives: not a lab's own ``model.task``, nor the task of a
        kind that builds its own (a subclass's `build_task`, such as the recommenders')."""
        return not model.get("task") and type(self).build_task is NetworkKind.build_task

    def score(
        self,
        model: nn.Module,
        cfg: DictConfig,
        datamodule: DataModule,
        shapes: DataShapes,
    ) -> dict[str, float]:
        """The test split's metrics, as the run computed them: its task, with the run's own
        trainer settings (precision, determinism), on one device, recording nothing. A loaded
        `EvalTask` goes into the task it stands for, with its network as loaded."""
        task = model
        if isinstance(model, EvalTask):
            task = self.build_task(cfg, datamodule, shapes, net=model.net)
        return _lightning().score(task, cfg, datamodule)

    def predict(
        self, model: nn.Module, cfg: DictConfig, shapes: DataShapes, inputs: torch.Tensor
    ) -> Outputs:
        """The outputs of a loaded `EvalTask` or task (the same for both) for ``inputs``."""
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


def _train_rows(datamodule: DataModule | None, shapes: DataShapes) -> torch.Tensor:
    """The train inputs a network is built from. Without the data, one row of zeros stands
    for them: only networks built from rows read them (Nystroem landmarks; `load_run` loads
    the data for those)."""
    return datamodule.tensors["train"][0] if datamodule else torch.zeros(1, *shapes.in_shape)


def _net_weights(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A task checkpoint's ``net.*`` weights, keyed as the network's own."""
    return {
        key.removeprefix("net."): value
        for key, value in state_dict.items()
        if key.startswith("net.")
    }
