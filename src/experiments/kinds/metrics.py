"""Metrics beyond the defaults, by name, from the root config's ``metrics`` node: any
torchmetrics class (or your own `torchmetrics.Metric`), shared by every kind."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from experiments.config import ConfigError, instantiate_checked
from experiments.data import DataShapes
from experiments.tasks.monitor import TASK_METRICS

if TYPE_CHECKING:
    from torchmetrics import Metric


def build_metrics(nodes: DictConfig | None, shapes: DataShapes) -> dict[str, Metric]:
    """``{name: metric}`` for ``metrics.<name>`` nodes (a `_partial_` target each), given
    what the data knows by parameter name: ``num_classes`` for classification,
    ``num_outputs`` for regression. A metric logs as ``{stage}/<name>``.

    Raises:
        ConfigError: a node that does not build a `torchmetrics.Metric`, or a name the
            task's own metrics (or ``loss``) already log under.
    """
    from torchmetrics import Metric  # here: a kind that predicts builds no metrics

    offered = (
        {"num_classes": shapes.num_outputs}
        if shapes.task == "classification"
        else {"num_outputs": shapes.num_outputs}
    )
    built = {}
    taken = (*TASK_METRICS.get(shapes.task, ()), "loss")
    for name, node in (nodes or {}).items():
        if name in taken:
            raise ConfigError(
                f"metrics.{name}: every {shapes.task} run logs '{name}' already; give this "
                f"metric another name (taken: {', '.join(taken)})"
            )
        factory = instantiate_checked(node, f"metrics.{name}")
        parameters = inspect.signature(factory).parameters
        metric = factory(**{k: v for k, v in offered.items() if k in parameters})
        if not isinstance(metric, Metric):
            raise ConfigError(
                f"metrics.{name}: {node.get('_target_')} built {type(metric).__name__}; "
                "expected a torchmetrics Metric (with _partial_: true)"
            )
        built[str(name)] = metric
    return built
