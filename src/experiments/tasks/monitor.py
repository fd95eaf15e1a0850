"""The monitored metric (checkpointing, pruning, leaderboard sort, the protocol's selection):
named in config, or ``auto`` to follow the data's task; checked against the metrics a run logs
before training, and its direction taken from the metric, never guessed from its name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from experiments.config.errors import ConfigError
from experiments.config.instantiate import instantiate_checked
from experiments.config.suggest import did_you_mean

# The metrics every run of a task logs, per stage (networks also log ``loss``); here, not in
# `experiments.tasks.metrics`, so that the reports read them without importing torch.
TASK_METRICS = {
    "classification": ("acc", "balanced_acc", "f1"),
    "regression": ("rmse", "mae", "r2"),
}
AUTO = "auto"
MODES = ("max", "min")
TASK_MONITOR = {"classification": ("val/acc", "max"), "regression": ("val/rmse", "min")}
# Whether a higher value is better, for the metrics this package logs under these names
# (``objective``: the training objective a convex model converged on).
HIGHER_IS_BETTER = {
    "acc": True, "balanced_acc": True, "f1": True, "auroc": True, "ap": True, "r2": True,
    "loss": False, "objective": False, "rmse": False, "mae": False,
}  # fmt: skip
# Recommenders' ranking metrics at a cut-off: ``hr@10``, ``ndcg@10``.
HIGHER_IS_BETTER_PREFIXES = ("hr@", "ndcg@")


def logged_metrics(task: str, with_loss: bool, extra: list[str] = ()) -> list[str]:
    """The per-epoch names a run of ``task`` logs for train, val and test: the task's
    metrics, the root config's ``metrics`` (``extra``), and ``loss`` for networks
    (``with_loss``; scikit-learn estimators have none and log val and test only)."""
    names = [*TASK_METRICS[task], *extra, *(["loss"] if with_loss else [])]
    stages = ("train", "val", "test") if with_loss else ("val", "test")
    return sorted({f"{stage}/{name}" for stage in stages for name in names})


def higher_is_better(metric: str, own: Mapping[str, Any] | None = None) -> bool | None:
    """Whether a higher value of the logged ``metric`` (``val/ber``) is better.

    Args:
        metric: a logged name, ``<stage>/<name>``.
        own: the root config's ``metrics`` node (``<name>: {_target_: ..., _partial_: true}``):
            a metric of the run's own says its direction through its torchmetrics class's
            ``higher_is_better`` (read from the partial, nothing is built).

    Returns:
        True or False; None when neither this package nor the metric's class says.

    Raises:
        ConfigError: the own metric's node cannot be instantiated.
    """
    name = metric.rsplit("/", 1)[-1]
    node = (own or {}).get(name)
    if node is not None:
        factory = instantiate_checked(node, f"metrics.{name}")
        direction = getattr(getattr(factory, "func", factory), "higher_is_better", None)
        return direction if isinstance(direction, bool) else None
    if name.startswith(HIGHER_IS_BETTER_PREFIXES):
        return True
    return HIGHER_IS_BETTER.get(name)


def resolve_monitor(
    monitor: str,
    mode: str,
    task: str,
    logged: list[str] | None,
    own_metrics: Mapping[str, Any] | None = None,
) -> tuple[str, str]:
    """The metric to monitor and its mode.

    Args:
        monitor: a logged metric name, or ``auto``: ``val/acc`` for classification,
            ``val/rmse`` for regression.
        mode: ``max``, ``min``, or ``auto``: the metric's own direction (`higher_is_better`).
        task: the data's task.
        logged: the metric names the run will log (`logged_metrics`); None: unknown (a
            lab's own task), the monitor is not checked.
        own_metrics: the root config's ``metrics`` node, whose metrics say their direction.

    Raises:
        ConfigError: a monitor the run does not log (with the closest logged name), a mode
            that is not max, min or auto, or ``auto`` for a metric whose direction is not
            known (a metric class without ``higher_is_better``).
    """
    problems = []
    if monitor == AUTO and task not in TASK_MONITOR:
        raise ConfigError(
            f"monitor: auto follows dataset.task, which is {task!r}; set dataset.task "
            f"({' or '.join(TASK_MONITOR)}) or name the monitor"
        )
    if monitor == AUTO:
        monitor = TASK_MONITOR[task][0]
    elif logged is not None and monitor not in logged:
        problems.append(
            f"monitor: this {task} run does not log '{monitor}'"
            f"{did_you_mean(str(monitor), logged)}; it logs {', '.join(logged)} (or monitor=auto)"
        )
    if mode == AUTO and not problems:
        direction = higher_is_better(str(monitor), own_metrics)
        if direction is None:
            raise ConfigError(
                f"monitor_mode: auto takes the direction from the metric, and nothing says "
                f"whether a higher or a lower '{monitor}' is better (its metric class sets no "
                "higher_is_better); set monitor_mode=max or monitor_mode=min"
            )
        mode = "max" if direction else "min"
    elif mode not in (*MODES, AUTO):
        problems.append(f"monitor_mode: expected max, min or auto, got {mode!r}")
    if problems:
        raise ConfigError(problems)
    return monitor, mode
