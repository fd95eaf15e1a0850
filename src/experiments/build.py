"""Build the pieces of a run from config nodes and the data's shapes: the data-to-model link."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig
from torch import nn

from experiments.data import DataShapes
from experiments.errors import ConfigError
from experiments.tasks import ClassificationTask


def instantiate_checked(node: DictConfig, key: str, **kwargs: Any) -> Any:
    """`hydra.utils.instantiate`, with a failure turned into a `ConfigError` naming ``key``."""
    try:
        return instantiate(node, **kwargs)
    except InstantiationException as error:
        cause = error.__cause__
        if isinstance(cause, ConfigError):
            raise cause from None
        raise ConfigError(f"{key}: {cause or error}") from error


def _data_arguments(shapes: DataShapes) -> dict[str, Any]:
    """What the data can tell a network, by parameter name."""
    return {
        "in_features": shapes.in_features,
        "in_shape": shapes.in_shape,
        "num_outputs": shapes.num_outputs,
    }


def build_net(model: DictConfig, shapes: DataShapes) -> nn.Module:
    """Call the model's network partial with the data-derived arguments its signature names.

    Raises:
        ConfigError: the network needs something this data cannot provide, or refuses its
            settings.
    """
    factory = instantiate_checked(model.net, "model.net")
    parameters = inspect.signature(factory).parameters
    offered = _data_arguments(shapes)
    unfilled = [
        name
        for name, p in parameters.items()
        if p.default is inspect.Parameter.empty
        and name not in offered
        and name not in factory.keywords
    ]
    if unfilled:
        raise ConfigError(
            f"model '{model.name}' needs {', '.join(unfilled)}, which {shapes.kind} data "
            f"does not provide (it provides {', '.join(offered)})"
        )
    try:
        return factory(**{name: value for name, value in offered.items() if name in parameters})
    except (ValueError, TypeError) as error:
        raise ConfigError(f"model.net ({model.net._target_}): {error}") from error


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


def build_scheduler(scheduler: DictConfig | None) -> functools.partial | None:
    if not scheduler:
        return None
    return instantiate_checked(scheduler, "scheduler")


def build_task(
    model: DictConfig,
    optimizer: DictConfig,
    scheduler: DictConfig | None,
    shapes: DataShapes,
    num_train: int,
) -> ClassificationTask:
    """The LightningModule for the data's task, with the network, loss and optimizer."""
    if shapes.task != "classification":
        raise ConfigError(f"dataset.task: '{shapes.task}' has no task module yet")
    net = build_net(model, shapes)
    return ClassificationTask(
        net=net,
        loss=instantiate_checked(model.loss, "model.loss"),
        optimizer=build_optimizer(optimizer, net),
        scheduler=build_scheduler(scheduler),
        num_classes=shapes.num_outputs,
        l2_penalty=l2_penalty(model.get("C"), num_train),
    )


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
