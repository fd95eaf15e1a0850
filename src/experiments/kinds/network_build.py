"""Build a network run's pieces from config nodes and the data's shapes: the data-to-model link."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch
from omegaconf import DictConfig
from torch import nn

from experiments import tasks
from experiments.config import ConfigError, instantiate_checked
from experiments.config.errors import is_out_of_memory
from experiments.config.suggest import did_you_mean
from experiments.data import DataShapes
from experiments.tasks.outputs import EvalTask
from experiments.tasks.schedule import SCHEDULE_INTERVALS, Schedule

if TYPE_CHECKING:
    import pytorch_lightning as pl
    from torchmetrics import Metric

SCHEDULE_KEYS = ("schedule", "interval", "monitor", "frequency")
# The data task's default task class, by its name in `experiments.tasks` (which imports it on
# first use): building a network to predict (`build_eval_task`) imports no Lightning.
DEFAULT_TASKS = {"classification": "ClassificationTask", "regression": "RegressionTask"}


def _data_arguments(shapes: DataShapes, train_inputs: torch.Tensor) -> dict[str, Any]:
    """What the data can tell a network, by parameter name. ``train_inputs`` serves networks
    that need data at build time (Nystroem landmarks, ``gamma="scale"``); ``two_classes``
    the linear heads that give two classes one weight row, as scikit-learn does."""
    offered = {
        "in_features": shapes.in_features,
        "in_shape": shapes.in_shape,
        "num_outputs": shapes.num_outputs,
        "train_inputs": train_inputs,
        "two_classes": shapes.task == "classification" and shapes.num_outputs == 2,
    }
    # token-id inputs only (dataset/features=tokens)
    for name in ("vocab_size", "max_length"):
        if getattr(shapes, name) is not None:
            offered[name] = getattr(shapes, name)
    if shapes.one_hot_groups:  # tables with categorical columns (FT-Transformer's tokens)
        offered["one_hot_groups"] = shapes.one_hot_groups
    return offered


def build_net(model: DictConfig, shapes: DataShapes, train_inputs: torch.Tensor) -> nn.Module:
    """Call the model's network partial with the data-derived arguments its signature names.

    Raises:
        ConfigError: the network needs something this data cannot provide, or refuses its
            settings or the data's shape.
    """
    factory = instantiate_checked(model.net, "model.net")
    parameters = inspect.signature(factory).parameters
    offered = _data_arguments(shapes, train_inputs)
    unfilled = [
        name
        for name, p in parameters.items()
        if p.default is inspect.Parameter.empty
        and name not in offered
        and name not in factory.keywords
    ]
    if shapes.vocab_size is not None and "vocab_size" not in parameters:
        raise ConfigError(
            f"model '{model.name}' takes feature vectors, but the data is token ids "
            "(dataset/features=tokens); use a sequence model such as text_cnn, or "
            "dataset/features=tfidf"
        )
    if unfilled:
        hint = " (token ids: dataset/features=tokens)" if "vocab_size" in unfilled else ""
        raise ConfigError(
            f"model '{model.name}' needs {', '.join(unfilled)}, which {shapes.kind} data "
            f"does not provide{hint}; it provides {', '.join(offered)}"
        )
    try:
        return factory(**{name: value for name, value in offered.items() if name in parameters})
    except (ValueError, TypeError, RuntimeError) as error:
        if is_out_of_memory(error):  # the settings are valid; this machine cannot hold it
            raise MemoryError(
                f"out of memory building model '{model.name}' for {shapes.kind} data of shape "
                f"{shapes.in_shape}: {error}; make it smaller or use a machine with more memory"
            ) from error
        raise ConfigError(
            f"model '{model.name}' cannot be built for {shapes.kind} data of shape "
            f"{shapes.in_shape}: {error}"
        ) from error


def prepare_net(net: nn.Module, channels_last: bool, compile: bool) -> nn.Module:
    """The network made faster to run, same parameters and state-dict keys.

    Args:
        net: the built network.
        channels_last: store 4-d weights channels-last (NHWC); convolutions then run in that
            layout whatever the input's (faster with bf16 on tensor-core GPUs). A no-op for
            networks without 4-d weights.
        compile: compile the forward with `torch.compile` on the first call (``nn.Module.compile``:
            in place, so checkpoints keep their keys). Costs seconds to minutes once per run.
    """
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    if compile:
        net.compile()
    return net


def model_flag(model: DictConfig, key: str) -> bool:
    """``model.<key>``, false where the model file has none.

    Raises:
        ConfigError: a value that is not a boolean, named by its key.
    """
    value = model.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"model.{key}: expected true or false, got {value!r}")
    return value


def l2_penalty(C: float | None, num_train: int) -> float:
    """The loss coefficient of ``||W||^2 / 2`` equivalent to scikit-learn's ``C``.

    scikit-learn minimizes ``||W||^2 / 2 + C * sum(losses)``; dividing by ``C * n`` gives
    ``mean(losses) + ||W||^2 / (2 * C * n)``: the same minimizer, on the scale of a mean loss.
    """
    if C is None:
        return 0.0
    if not isinstance(C, int | float) or isinstance(C, bool) or C <= 0:
        raise ConfigError(f"model.C: expected a positive number, got {C!r}")
    return 1.0 / (C * num_train)


def build_optimizer(optimizer: DictConfig, net: nn.Module) -> functools.partial:
    """The optimizer partial, tried once on the network so that settings torch refuses
    (``lr=-1``) fail now, before training."""
    factory = instantiate_checked(optimizer, "optimizer")
    try:
        factory([p.detach().clone().requires_grad_() for p in net.parameters()])
    except (ValueError, TypeError) as error:
        raise ConfigError(f"optimizer ({optimizer._target_}): {error}") from error
    return factory


def build_scheduler(scheduler: DictConfig | None) -> Schedule | None:
    """The learning-rate schedule of a ``scheduler`` config (``schedule``: the scheduler's
    partial; ``interval``, ``monitor``, ``frequency``: how Lightning steps it), or None.

    Raises:
        ConfigError: an unknown key or interval.
    """
    if not scheduler:
        return None
    problems = [
        f"scheduler.{key}: not a scheduler setting{did_you_mean(str(key), SCHEDULE_KEYS)}; "
        f"expected {', '.join(SCHEDULE_KEYS)}"
        for key in scheduler
        if key not in SCHEDULE_KEYS
    ]
    interval = scheduler.get("interval", "epoch")
    if interval not in SCHEDULE_INTERVALS:
        problems.append(
            f"scheduler.interval: '{interval}' is not one of {', '.join(SCHEDULE_INTERVALS)}"
        )
    if problems:
        raise ConfigError(problems)
    return Schedule(
        factory=instantiate_checked(scheduler.schedule, "scheduler.schedule"),
        interval=interval,
        monitor=scheduler.get("monitor"),
        frequency=scheduler.get("frequency", 1),
    )


def build_loss(model: DictConfig, shapes: DataShapes) -> nn.Module:
    """The model's loss for the data's task (``model.loss`` holds one per supported task).

    Raises:
        ConfigError: the model does not support the data's task.
    """
    if shapes.task not in model.loss:
        raise ConfigError(
            f"model '{model.name}' supports {' and '.join(model.loss)} only, but the data is "
            f"a {shapes.task} task (dataset.task)"
        )
    return instantiate_checked(model.loss[shapes.task], f"model.loss.{shapes.task}")


def build_task(
    model: DictConfig,
    optimizer: DictConfig,
    scheduler: DictConfig | None,
    shapes: DataShapes,
    train_inputs: torch.Tensor,
    metrics: Mapping[str, Metric] | None = None,
    net: nn.Module | None = None,
) -> pl.LightningModule:
    """The LightningModule for the data's task, with the network, loss, optimizer and
    schedule: ``model.task`` (a partial of your own LightningModule class, which takes the
    same arguments as the default task: subclass `ClassificationTask` or `RegressionTask`)
    or the default task of the data's task, with ``metrics`` logged beside the defaults.
    ``net``: the network when it is built already (a loaded `EvalTask`'s); None builds it.

    Raises:
        ConfigError: any part refuses its settings or the data; nothing has trained yet.
    """
    loss = build_loss(model, shapes)
    net = prepare_net(
        net if net is not None else build_net(model, shapes, train_inputs),
        channels_last=model_flag(model, "channels_last"),
        compile=model_flag(model, "compile"),
    )
    common = {
        "net": net,
        "loss": loss,
        "optimizer": build_optimizer(optimizer, net),
        "scheduler": build_scheduler(scheduler),
        "l2_penalty": l2_penalty(model.get("C"), len(train_inputs)),
        "metrics": metrics,
    }
    if shapes.task == "classification":
        arguments = common | {"num_classes": shapes.num_outputs}
    else:
        arguments = common | {
            "num_targets": shapes.num_outputs,
            "original_units": shapes.original_units,
        }
    task = _task(model, shapes, arguments)
    task.test_time_flip = _test_time_flip(model_flag(model, "test_time_flip"), shapes)
    return task


def build_eval_task(model: DictConfig, shapes: DataShapes, train_inputs: torch.Tensor) -> EvalTask:
    """The network of a run whose task is a shipped one (no ``model.task``), with what that
    task does on top of it in evaluation (`EvalTask`): to take a checkpoint's ``net.*``
    weights and predict, without Lightning. The network is not prepared (`prepare_net`):
    compiling it would cost more than a prediction of a few rows.

    Raises:
        ConfigError: as `build_task`, for the network, loss and ``test_time_flip``.
    """
    loss = build_loss(model, shapes)  # first, as in `build_task`: the same first message
    return EvalTask(
        build_net(model, shapes, train_inputs),
        loss,
        shapes.task,
        test_time_flip=_test_time_flip(model_flag(model, "test_time_flip"), shapes),
        original_units=shapes.original_units if shapes.task == "regression" else None,
    )


def _task(model: DictConfig, shapes: DataShapes, arguments: dict[str, Any]) -> pl.LightningModule:
    """The model's own task class (``model.task``) or the data task's default, built."""
    if not model.get("task"):
        return getattr(tasks, DEFAULT_TASKS[shapes.task])(**arguments)
    task_class = instantiate_checked(model.task, "model.task")
    try:
        return task_class(**arguments)
    except TypeError as error:
        raise ConfigError(
            f"model.task: {model.task._target_} does not take the arguments a "
            f"{shapes.task} task gets ({', '.join(arguments)}): {error}; subclass "
            f"{DEFAULT_TASKS[shapes.task]} or take the same arguments"
        ) from error


def _test_time_flip(setting: bool, shapes: DataShapes) -> bool:
    """``model.test_time_flip``, checked against the data: class scores averaged over each
    image and its mirror image, for image classification only. Meant for photos: a mirrored
    digit is another input, which the data's kind does not tell, so digit models leave it off."""
    if setting and (shapes.kind != "image" or shapes.task != "classification"):
        raise ConfigError(
            "model.test_time_flip: averages class scores over mirrored images, so it needs "
            f"an image classification dataset; got {shapes.kind} data for {shapes.task}"
        )
    return setting


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
